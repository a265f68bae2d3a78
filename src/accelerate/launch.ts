// Start N processes of a script with the torch.distributed environment, forward their output, and make
// them live and die together: when one fails, the rest are stopped and the launch fails naming it.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import os from "node:os";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { DEFAULT_MASTER_PORT, LAUNCHER_PID_ENV } from "./env";

export interface LaunchOptions {
  /** The script to run (.ts through tsx, or .js/.mjs). */
  script: string;
  args?: string[];
  /** Processes in TOTAL across machines, as in accelerate's num_processes (default 1). */
  numProcesses?: number;
  numMachines?: number;
  /** This machine's index, 0 for the main machine (default 0). */
  machineRank?: number;
  /** Where rank 0 listens (default 127.0.0.1). */
  mainProcessIp?: string;
  /** Rank 0's port; default a free port on one machine, 29500 on several. */
  mainProcessPort?: number;
  /** Extra environment for every process. */
  env?: NodeJS.ProcessEnv;
  /** Between SIGTERM and SIGKILL when stopping the others (default 5 s). */
  killGraceMs?: number;
  /** Where output goes (default this process's stdout/stderr). */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Called once the processes are spawned, with their pids by local rank (tests record them). */
  onSpawn?: (pids: number[]) => void;
  /** V8 flags for every process (default: gcFlagsFor(this machine's process count), see there). */
  v8Flags?: string[];
}

/**
 * V8 flags for `localCount` processes on this machine.
 *
 * Every process: a 64 MB young generation (semi-space; V8's default grows to 16 MB). A training step makes tens of
 * thousands of short-lived tensor objects, and those kept from the forward pass for the backward survive two
 * scavenges of a small young generation: promoted, they fill the old one with garbage that only mark-compact
 * collections reclaim. Costs at most 3 x 64 MB of address space a process.
 *
 * When they take every core (the launcher's one process per core), V8's concurrent marking threads have no
 * idle core to run on: they take the other rank's, which then arrives late at the gradient exchange. And
 * incremental marking finishes its collections in tasks, which run when a rank waits in that exchange: the wait
 * grows by the collection. Marking on the main thread, in one go, avoids both. What each flag gained is in
 * bench/NOTES.md (data parallel, sessions 3 and 4).
 */
export function gcFlagsFor(localCount: number, cores = os.availableParallelism()): string[] {
  const youngGeneration = [`--max-semi-space-size=${SEMI_SPACE_MB}`, `--min-semi-space-size=${SEMI_SPACE_MB}`];
  return localCount >= cores && localCount > 1 ? [...youngGeneration, "--no-concurrent-marking", "--no-incremental-marking"] : youngGeneration;
}

const SEMI_SPACE_MB = 64;

export interface RankFailure {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LaunchResult {
  /** 0 when every process exited 0. */
  exitCode: number;
  /** The first process to fail, then any other that failed by itself before being stopped. */
  failures: RankFailure[];
  /** A one-line explanation when exitCode is not 0. */
  message: string;
}

export class LaunchError extends Error {
  constructor(readonly result: LaunchResult) {
    super(result.message);
    this.name = "LaunchError";
  }
}

/** A TCP port that was free a moment ago (the usual race is acceptable for a local launch). */
export function findFreePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** node's arguments to run `script`: TypeScript goes through tsx's loader, resolved from the kit itself. */
export function nodeArgsFor(script: string): string[] {
  const ext = extname(script);
  if (ext === ".js" || ext === ".mjs" || ext === ".cjs") return [script];
  // An absolute URL: `--import tsx` would resolve against the user's cwd, which may not have tsx.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  return ["--import", tsx, script];
}

function describeFailure(f: RankFailure): string {
  return f.signal ? `rank ${f.rank} was killed by signal ${f.signal}` : `rank ${f.rank} exited with code ${f.code}`;
}

/** Prefix every complete line of `stream` with `prefix`. */
function pipeWithPrefix(stream: NodeJS.ReadableStream, out: NodeJS.WritableStream, prefix: string): void {
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const text = pending + chunk;
    const lines = text.split("\n");
    pending = lines.pop() ?? "";
    if (lines.length) out.write(lines.map((l) => `${prefix}${l}\n`).join(""));
  });
  stream.on("end", () => {
    if (pending) out.write(`${prefix}${pending}\n`);
  });
}

function validate(o: Required<Pick<LaunchOptions, "numProcesses" | "numMachines" | "machineRank">>): number {
  const { numProcesses, numMachines, machineRank } = o;
  for (const [name, v, min] of [["numProcesses", numProcesses, 1], ["numMachines", numMachines, 1], ["machineRank", machineRank, 0]] as const) {
    if (!Number.isInteger(v) || v < min) throw new Error(`launch: ${name} must be an integer >= ${min}, got ${v}`);
  }
  if (machineRank >= numMachines) throw new Error(`launch: machineRank ${machineRank} must be below numMachines ${numMachines}`);
  if (numProcesses % numMachines !== 0) {
    throw new Error(
      `launch: numProcesses (${numProcesses}, the total over all machines as in accelerate) is not a multiple of ` +
        `numMachines (${numMachines}); every machine runs numProcesses / numMachines processes`,
    );
  }
  return numProcesses / numMachines;
}

/**
 * Run the processes of this machine and resolve when all have exited. Never rejects for a failing
 * child: the result says what failed (so a CLI can print it and exit with its code).
 */
export async function launchProcesses(options: LaunchOptions): Promise<LaunchResult> {
  const numProcesses = options.numProcesses ?? 1;
  const numMachines = options.numMachines ?? 1;
  const machineRank = options.machineRank ?? 0;
  const localCount = validate({ numProcesses, numMachines, machineRank });
  const host = options.mainProcessIp ?? "127.0.0.1";
  const port = options.mainProcessPort ?? (numMachines === 1 ? await findFreePort() : DEFAULT_MASTER_PORT);
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const grace = options.killGraceMs ?? 5_000;
  const script = resolve(options.script);

  const children: ChildProcess[] = [];
  const exited: boolean[] = new Array(localCount).fill(false);
  const failures: RankFailure[] = [];
  // The event-loop turn each failure was seen in. libuv reaps every child that has died when it handles a
  // SIGCHLD, in its own order: a rank killed by a signal and one that exited on noticing it can come in one
  // turn, the second first. Within a turn, a death by signal is taken as the cause (see the sort below).
  const failureTurns: number[] = [];
  let turn = 0;
  let turnClosing = false;
  const currentTurn = () => {
    if (!turnClosing) {
      turnClosing = true;
      setImmediate(() => {
        turn++;
        turnClosing = false;
      });
    }
    return turn;
  };
  let stopping = false;
  let killTimer: NodeJS.Timeout | null = null;

  const signalGroup = (child: ChildProcess, signal: NodeJS.Signals) => {
    // Children lead their own process group, so their own children (if any) get the signal too.
    try {
      process.kill(-child.pid!, signal);
    } catch {
      try {
        child.kill(signal);
      } catch {
        /* already gone */
      }
    }
  };
  let stopTurn = -1;
  const stopAll = () => {
    if (stopping) return;
    stopping = true;
    stopTurn = currentTurn();
    children.forEach((c, i) => !exited[i] && signalGroup(c, "SIGTERM"));
    killTimer = setTimeout(() => children.forEach((c, i) => !exited[i] && signalGroup(c, "SIGKILL")), grace);
    killTimer.unref();
  };

  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted ??= signal;
    stopAll();
  };
  const onSigint = () => onSignal("SIGINT");
  const onSigterm = () => onSignal("SIGTERM");
  const onSighup = () => onSignal("SIGHUP");
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  process.on("SIGHUP", onSighup);
  // Last resort if the launcher itself exits unexpectedly (an exception elsewhere in the host process).
  const onExit = () => children.forEach((c, i) => !exited[i] && signalGroup(c, "SIGKILL"));
  process.on("exit", onExit);

  // One wasm thread pool per process would put 2 × cores threads on the cores: each process gets its share
  // of this machine's cores, unless the caller chose (KIT_WASM_THREADS in the environment or options.env).
  const wasmThreads = options.env?.KIT_WASM_THREADS ?? process.env.KIT_WASM_THREADS ?? String(Math.max(1, Math.floor(os.availableParallelism() / localCount)));
  const v8Flags = options.v8Flags ?? gcFlagsFor(localCount);
  const done = Array.from({ length: localCount }, (_, localRank) => {
    const rank = machineRank * localCount + localRank;
    const child = spawn(process.execPath, [...v8Flags, ...nodeArgsFor(script), ...(options.args ?? [])], {
      env: {
        ...process.env,
        ...options.env,
        KIT_WASM_THREADS: wasmThreads,
        RANK: String(rank),
        LOCAL_RANK: String(localRank),
        WORLD_SIZE: String(numProcesses),
        LOCAL_WORLD_SIZE: String(localCount),
        GROUP_RANK: String(machineRank),
        MASTER_ADDR: host,
        MASTER_PORT: String(port),
        [LAUNCHER_PID_ENV]: String(process.pid),
      },
      // Rank 0 writes straight to the terminal (progress bars see a TTY); the others are prefixed. No
      // stdin: the children lead their own process groups, and reading the terminal would stop them (SIGTTIN).
      stdio: rank === 0 && !options.stdout && !options.stderr ? ["ignore", "inherit", "inherit"] : ["ignore", "pipe", "pipe"],
      detached: true,
    });
    children.push(child);
    if (child.stdout) pipeWithPrefix(child.stdout, stdout, rank === 0 ? "" : `[rank ${rank}] `);
    if (child.stderr) pipeWithPrefix(child.stderr, stderr, rank === 0 ? "" : `[rank ${rank}] `);
    return new Promise<void>((resolveExit) => {
      child.on("error", (err) => {
        stderr.write(`launch: could not start rank ${rank}: ${err.message}\n`);
        exited[localRank] = true;
        failures.push({ rank, code: null, signal: null });
        failureTurns.push(currentTurn());
        stopAll();
        resolveExit();
      });
      // "exit" (not "close", which also waits for the pipes) so that failures are recorded as the processes
      // are reaped: the rank that failed first, then those that noticed it (within one turn, see failureTurns).
      child.on("exit", (code, signal) => {
        exited[localRank] = true;
        // Reaped in the turn that decided to stop everyone, it died before our signal went out.
        const stoppedByUs = stopping && (signal === "SIGTERM" || signal === "SIGKILL") && currentTurn() > stopTurn;
        if ((code !== 0 || signal !== null) && !stoppedByUs) {
          failures.push({ rank, code, signal });
          failureTurns.push(currentTurn());
          stopAll();
        }
      });
      child.on("close", () => resolveExit());
    });
  });
  options.onSpawn?.(children.map((c) => c.pid!));

  await Promise.all(done);
  if (killTimer) clearTimeout(killTimer);
  process.off("SIGINT", onSigint);
  process.off("SIGTERM", onSigterm);
  process.off("SIGHUP", onSighup);
  process.off("exit", onExit);

  if (interrupted) {
    const code = interrupted === "SIGINT" ? 130 : interrupted === "SIGTERM" ? 143 : 129;
    return { exitCode: code, failures, message: `launch: stopped all ${localCount} processes on ${interrupted}` };
  }
  if (failures.length === 0) return { exitCode: 0, failures, message: "" };
  const order = failures.map((f, k) => ({ f, k, turn: failureTurns[k]! }));
  order.sort((a, b) => a.turn - b.turn || Number(b.f.signal !== null) - Number(a.f.signal !== null) || a.k - b.k);
  failures.splice(0, failures.length, ...order.map((o) => o.f));
  const first = failures[0]!;
  const others = failures.slice(1).map(describeFailure);
  const message =
    `launch failed: ${describeFailure(first)}` +
    (others.length ? ` (then ${others.join(", ")})` : "") +
    `; the other processes were stopped`;
  return { exitCode: first.code && first.code > 0 ? first.code : 1, failures, message };
}

// ---- launch(trainingFunction) from code: the course's notebook_launcher ------------------------------

const CHILD_MARKER = "KIT_LAUNCH_CALL";
let launchCalls = 0;

export interface LaunchFunctionOptions extends Omit<LaunchOptions, "script" | "args"> {
  /** Arguments for the re-run entry script (default: this process's own arguments). */
  args?: string[];
}

/**
 * Run `trainingFunction` in `numProcesses` processes, like accelerate's `notebook_launcher`.
 *
 * Node cannot fork a running function, so the parent re-runs the current entry script (process.argv[1])
 * in each child with the distributed environment and a marker. In a child, this same `launch` call runs
 * `trainingFunction` and then exits the process (so code after the call runs only in the parent); any
 * earlier `launch` call in the script is skipped. Keep work that must happen once (downloads, printing)
 * inside `trainingFunction` or after the `launch` call. In the parent, resolves when every child exits 0
 * and rejects with a LaunchError naming the failed rank otherwise.
 *
 *     async function trainingFunction() { const accelerator = new Accelerator(); ... }
 *     await launch(trainingFunction, { numProcesses: 2 });
 */
export async function launch(trainingFunction: () => unknown, options: LaunchFunctionOptions = {}): Promise<void> {
  const call = launchCalls++;
  const marker = process.env[CHILD_MARKER];
  if (marker !== undefined) {
    if (Number(marker) !== call) return; // another launch() of this script is the one this child runs
    try {
      await trainingFunction();
    } catch (err) {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    }
    process.exit(0);
  }
  const entry = process.argv[1];
  if (!entry) throw new Error("launch(): cannot tell which script to re-run (process.argv[1] is empty)");
  const result = await launchProcesses({
    ...options,
    script: entry,
    args: options.args ?? process.argv.slice(2),
    env: { ...options.env, [CHILD_MARKER]: String(call) },
  });
  if (result.exitCode !== 0) throw new LaunchError(result);
}
