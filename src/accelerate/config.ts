// `kit accelerate config|launch`: the same default_config.yaml as Python accelerate (same keys, same place
// by default), so `accelerate launch` and `kit accelerate launch` read one another's file.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { parse, stringify } from "yaml";
import { checkBackendEnvironment } from "../backend/environment";
import { exchangeModeFromEnv } from "./env";
import { launchProcesses } from "./launch";

/** The keys accelerate writes for a CPU setup (`accelerate config default --cpu` / the questionnaire). */
export interface AccelerateConfig {
  compute_environment: "LOCAL_MACHINE";
  distributed_type: "NO" | "MULTI_CPU";
  num_processes: number;
  num_machines: number;
  machine_rank: number;
  main_process_ip: string | null;
  main_process_port: number | null;
  mixed_precision: "no";
  use_cpu: boolean;
  debug: boolean;
  downcast_bf16: "no";
  main_training_function: string;
  rdzv_backend: "static";
  same_network: boolean;
  tpu_env: string[];
  tpu_use_cluster: boolean;
  tpu_use_sudo: boolean;
}

/**
 * Where the config lives: $KIT_HOME/accelerate if KIT_HOME is set, else accelerate's own place,
 * $HF_HOME/accelerate with HF_HOME defaulting to $XDG_CACHE_HOME/huggingface or ~/.cache/huggingface.
 */
export function defaultConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KIT_HOME) return join(env.KIT_HOME, "accelerate", "default_config.yaml");
  const hfHome = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "huggingface");
  return join(hfHome, "accelerate", "default_config.yaml");
}

export function makeConfig(fields: {
  numProcesses: number;
  numMachines?: number;
  machineRank?: number;
  mainProcessIp?: string | null;
  mainProcessPort?: number | null;
  mixedPrecision?: string;
}): AccelerateConfig {
  checkMixedPrecision(fields.mixedPrecision ?? "no", "mixed precision");
  const numMachines = fields.numMachines ?? 1;
  return {
    compute_environment: "LOCAL_MACHINE",
    debug: false,
    distributed_type: fields.numProcesses > 1 || numMachines > 1 ? "MULTI_CPU" : "NO",
    downcast_bf16: "no",
    machine_rank: fields.machineRank ?? 0,
    main_process_ip: fields.mainProcessIp ?? null,
    main_process_port: fields.mainProcessPort ?? null,
    main_training_function: "main",
    mixed_precision: "no",
    num_machines: numMachines,
    num_processes: fields.numProcesses,
    rdzv_backend: "static",
    same_network: true,
    tpu_env: [],
    tpu_use_cluster: false,
    tpu_use_sudo: false,
    use_cpu: true,
  };
}

function checkMixedPrecision(value: string, where: string): void {
  if (value !== "no") {
    throw new Error(
      `${where}: mixed_precision ${JSON.stringify(value)} is not supported yet; the kit trains in float32 only. Use "no".`,
    );
  }
}

/**
 * YAML 1.1 on output, because PyYAML (which accelerate uses) reads YAML 1.1: there a bare `no` is the
 * boolean false, so mixed_precision must be written quoted ('no') for accelerate to read the string.
 */
export function configToYaml(config: AccelerateConfig): string {
  return stringify(config, { version: "1.1" });
}

export function writeConfig(config: AccelerateConfig, file = defaultConfigFile()): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, configToYaml(config));
  return file;
}

/** Read a config file (ours or Python accelerate's) and check what the kit can run. */
export function readConfig(file = defaultConfigFile()): AccelerateConfig {
  let raw: Record<string, unknown> | null;
  try {
    raw = parse(readFileSync(file, "utf8"), { version: "1.1" }) as Record<string, unknown> | null;
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).syscall ? (err as Error).message : `not valid YAML (${(err as Error).message.split("\n")[0]})`;
    throw new Error(`${file}: ${why}; run \`kit accelerate config\` to rewrite it`);
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    throw new Error(`${file}: not a YAML mapping of accelerate settings; run \`kit accelerate config\` to rewrite it`);
  }
  const int = (key: string, fallback: number, min: number): number => {
    const v = raw[key] ?? fallback;
    if (!Number.isInteger(v) || (v as number) < min) throw new Error(`${file}: ${key} must be an integer >= ${min}, found ${JSON.stringify(v)}; fix it or run \`kit accelerate config\` to rewrite the file`);
    return v as number;
  };
  const distributed = String(raw.distributed_type ?? "NO");
  if (distributed !== "NO" && distributed !== "MULTI_CPU") {
    throw new Error(
      `${file}: distributed_type ${distributed} is not supported by the kit, which runs CPU processes only ` +
        `(NO or MULTI_CPU). Run \`kit accelerate config\` or pass --config-file with a CPU config.`,
    );
  }
  // PyYAML-era files may hold a bare no (false) for mixed_precision.
  const mp = raw.mixed_precision === false || raw.mixed_precision === undefined ? "no" : String(raw.mixed_precision);
  checkMixedPrecision(mp, file);
  const port = raw.main_process_port;
  return makeConfig({
    numProcesses: int("num_processes", 1, 1),
    numMachines: int("num_machines", 1, 1),
    machineRank: int("machine_rank", 0, 0),
    mainProcessIp: typeof raw.main_process_ip === "string" ? raw.main_process_ip : null,
    mainProcessPort: port === null || port === undefined ? null : checkPort(int("main_process_port", 0, 1), `${file}: main_process_port`),
  });
}

// ---- the questionnaire ---------------------------------------------------------------------------------

type Ask = (question: string) => Promise<string>;

function asker(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): { ask: Ask; close: () => void } {
  const rl = createInterface({ input, terminal: false });
  // The async iterator buffers lines, so answers piped in before a question is printed are not lost.
  const lines = rl[Symbol.asyncIterator]();
  return {
    ask: async (question) => {
      output.write(question);
      const next = await lines.next();
      if (next.done) throw new Error(`accelerate config: input ended before the question "${question.trim()}" was answered`);
      return next.value.trim();
    },
    close: () => rl.close(),
  };
}

async function askInt(ask: Ask, question: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): Promise<number> {
  for (;;) {
    const answer = await ask(`${question} [${fallback}]: `);
    if (answer === "") return fallback;
    const n = Number(answer);
    if (Number.isInteger(n) && n >= min && n <= max) return n;
    throw new Error(`accelerate config: "${answer}" for "${question}": expected an integer from ${min} to ${max === Number.MAX_SAFE_INTEGER ? "up" : max}`);
  }
}

/** Ask accelerate's questions for a CPU setup; returns the config (the caller writes it). */
export async function askConfig(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Promise<AccelerateConfig> {
  const { ask, close } = asker(input, output);
  try {
    const numMachines = await askInt(ask, "How many different machines will you use (use more than 1 for multi-node training)?", 1, 1);
    let machineRank = 0;
    let mainProcessIp: string | null = null;
    let mainProcessPort: number | null = null;
    if (numMachines > 1) {
      machineRank = await askInt(ask, "What is the rank of this machine?", 0, 0, numMachines - 1);
      mainProcessIp = (await ask("What is the IP address of the machine that will host the main process? ")) || null;
      if (!mainProcessIp) throw new Error("accelerate config: the main process IP is required with several machines");
      mainProcessPort = await askInt(ask, "What is the port you will use to communicate with the main process?", 29500, 1, 65535);
    }
    const numProcesses = await askInt(ask, "How many processes in total will you use (all machines together)?", numMachines, 1);
    if (numProcesses % numMachines !== 0) {
      throw new Error(`accelerate config: ${numProcesses} processes cannot be shared evenly by ${numMachines} machines`);
    }
    const mp = (await ask("Do you wish to use mixed precision? (no) [no]: ")) || "no";
    return makeConfig({ numProcesses, numMachines, machineRank, mainProcessIp, mainProcessPort, mixedPrecision: mp });
  } finally {
    close();
  }
}

// ---- the CLI ----------------------------------------------------------------------------------------

const HELP = `Usage:
  kit accelerate config [--config-file FILE]
      Ask how to run (machines, processes, main process address and port, mixed precision) and write
      the answers to FILE (default ${"$"}KIT_HOME/accelerate/default_config.yaml, else accelerate's own
      ${"$"}HF_HOME/accelerate/default_config.yaml).
  kit accelerate config default [--config-file FILE] [--num-processes N]
      Write a config without asking (1 machine, N processes, default 1; mixed precision "no").
  kit accelerate launch [options] script.ts [script args...]
      Start the processes of this machine with RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT set.
      Reads the config file when there is one; these flags override it:
        --config-file FILE      --num-processes N (total over all machines)   --num-machines N
        --machine-rank R        --main-process-ip IP                         --main-process-port PORT
        --mixed-precision no
`;

interface ParsedFlags {
  flags: Map<string, string>;
  rest: string[];
}

/** Flags before the first positional argument; accepts --a-b and --a_b (accelerate's spelling), `--x v` and `--x=v`. */
function parseFlags(argv: string[], known: string[], stopAtPositional: boolean): ParsedFlags {
  const flags = new Map<string, string>();
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      i++;
      break;
    }
    if (!arg.startsWith("--")) {
      if (stopAtPositional) break;
      throw new Error(`unexpected argument ${JSON.stringify(arg)}; see kit accelerate --help`);
    }
    const [rawName, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const name = rawName.replace(/_/g, "-");
    if (name === "help") {
      flags.set("help", "1");
      continue;
    }
    if (!known.includes(name)) throw new Error(`unknown option --${rawName}; valid here: ${known.map((k) => `--${k}`).join(", ")} (see kit accelerate --help)`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`option --${rawName} needs a value (see kit accelerate --help)`);
    flags.set(name, value);
  }
  return { flags, rest: argv.slice(i) };
}

function intFlag(flags: Map<string, string>, name: string, min = 0): number | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isInteger(n) || n < min) throw new Error(`--${name} ${JSON.stringify(v)}: expected an integer >= ${min}`);
  return n;
}

/** A TCP port: 1 to 65535. */
function checkPort(port: number, where: string): number {
  if (port < 1 || port > 65535) throw new Error(`${where} ${port} is not a TCP port; use one from 1 to 65535 (accelerate's default is 29500)`);
  return port;
}

export interface CliIo {
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}

/** `kit accelerate <config|launch> ...`; returns the process exit code. */
export async function accelerateCli(argv: string[], io: CliIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      stdout.write(HELP);
      return command === undefined ? 1 : 0;
    }
    if (command === "config") {
      const isDefault = rest[0] === "default";
      const { flags } = parseFlags(isDefault ? rest.slice(1) : rest, ["config-file", "num-processes", "mixed-precision"], false);
      if (flags.has("help")) {
        stdout.write(HELP);
        return 0;
      }
      const file = flags.get("config-file") ?? defaultConfigFile(env);
      const config = isDefault
        ? makeConfig({ numProcesses: intFlag(flags, "num-processes", 1) ?? 1, mixedPrecision: flags.get("mixed-precision") ?? "no" })
        : await askConfig(io.stdin ?? process.stdin, stdout);
      writeConfig(config, file);
      stdout.write(`accelerate configuration saved at ${file}\n`);
      return 0;
    }
    if (command === "launch") {
      const known = ["config-file", "num-processes", "num-machines", "machine-rank", "main-process-ip", "main-process-port", "mixed-precision"];
      const { flags, rest: positional } = parseFlags(rest, known, true);
      if (flags.has("help")) {
        stdout.write(HELP);
        return 0;
      }
      const [script, ...args] = positional;
      if (!script) throw new Error(`accelerate launch: which script? e.g. kit accelerate launch --num-processes 2 chapters/07-accelerate.ts (see kit accelerate --help)`);
      const file = flags.get("config-file") ?? defaultConfigFile(env);
      const fromFile = existsSync(file) ? readConfig(file) : null;
      if (flags.has("config-file") && !fromFile) throw new Error(`accelerate launch: --config-file ${file} does not exist; write one with kit accelerate config --config-file ${file}`);
      if (flags.has("mixed-precision")) checkMixedPrecision(flags.get("mixed-precision")!, "--mixed-precision");
      const numProcesses = intFlag(flags, "num-processes", 1) ?? fromFile?.num_processes ?? 1;
      const port = intFlag(flags, "main-process-port");
      if (port !== undefined) checkPort(port, "--main-process-port");
      // Checked here, once: a missing script would otherwise fail in every rank, each with its own stack.
      if (!existsSync(script)) throw new Error(`accelerate launch: script ${script} not found (from ${process.cwd()}); check the path, e.g. chapters/07-accelerate.ts`);
      checkBackendEnvironment(env);
      exchangeModeFromEnv(env);
      const result = await launchProcesses({
        script,
        args,
        numProcesses,
        numMachines: intFlag(flags, "num-machines") ?? fromFile?.num_machines ?? 1,
        machineRank: intFlag(flags, "machine-rank") ?? fromFile?.machine_rank ?? 0,
        mainProcessIp: flags.get("main-process-ip") ?? fromFile?.main_process_ip ?? undefined,
        mainProcessPort: port ?? fromFile?.main_process_port ?? undefined,
        stdout: io.stdout,
        stderr: io.stderr,
      });
      if (result.exitCode !== 0) stderr.write(`${result.message}\n`);
      return result.exitCode;
    }
    throw new Error(`unknown accelerate command ${JSON.stringify(command)}; use config or launch (see kit accelerate --help)`);
  } catch (err) {
    stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
}
