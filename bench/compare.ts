// `npm run compare`: the course's result, side by side. Runs the kit (`kit train`, the pretrained preset) and
// the Python course on the same local checkpoint and data (bench/python/course.py), one after the other so
// neither slows the other, and prints one table: accuracy, F1, time per step, total time.
// --paired makes it the comparison that can fail: dropout 0, the same initial head, Python following the
// kit's batch order; the table then adds the largest relative loss difference over the first 200 steps.
//
//   npm run compare -- [--seed 42] [--max-steps N] [--paired] [--python PATH]
//   npm run compare -- --kit-run runs/<id> --python-out bench/python/results/<name>.json   (table only)
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";

const ROOT = resolve(import.meta.dirname, "..");
export const PRETRAINED_PRESET = "all-minilm-l6-v2";
export const HEAD_FILE = join("test", "fixtures", "all-minilm-l6-v2", "head.safetensors");
/** The paired run's contract (issue 14): per-step losses within 1% relative over the first 200 steps. */
export const PAIRED_STEPS = 200;
export const PAIRED_LOSS_RTOL = 0.01;

/** What the table needs of one side's run. */
export type SideResult = {
  side: string;
  accuracy: number;
  f1: number;
  steps: number;
  secondsPerStep: number;
  totalSeconds: number;
  losses: number[];
};

export type KitRecord = {
  status: string;
  numTrainingSteps: number;
  steps: { loss: number[] };
  evaluation?: { metrics: Record<string, number> };
  timing?: { trainSeconds: number; wallSeconds: number };
  backend: string;
};

type PythonRecord = {
  accuracy: number;
  f1: number;
  steps_done: number;
  seconds_per_step: number;
  total_seconds: number;
  losses: number[];
  torch: string;
  threads: number;
};

export function kitSide(path: string): SideResult {
  return kitSideOf(JSON.parse(readFileSync(path, "utf8")) as KitRecord, path);
}

/** The kit's side from a run record (`where` names it in the error). */
export function kitSideOf(record: KitRecord, where = "the run record"): SideResult {
  if (record.status !== "completed" || !record.evaluation || !record.timing) {
    throw new Error(`${where}: the kit's run is "${record.status}", not a completed run with its evaluation; run it to the end first.`);
  }
  const steps = record.steps.loss.length;
  return {
    side: `kit (${record.backend})`,
    accuracy: record.evaluation.metrics.accuracy!,
    f1: record.evaluation.metrics.f1!,
    steps,
    secondsPerStep: record.timing.trainSeconds / steps,
    totalSeconds: record.timing.wallSeconds,
    losses: record.steps.loss,
  };
}

export function pythonSide(path: string): SideResult {
  const r = JSON.parse(readFileSync(path, "utf8")) as PythonRecord;
  if (typeof r.accuracy !== "number" || !Array.isArray(r.losses)) {
    throw new Error(`${path}: not a record written by bench/python/course.py --out (no accuracy or losses).`);
  }
  return {
    side: `Python (torch ${r.torch}, ${r.threads} threads)`,
    accuracy: r.accuracy,
    f1: r.f1,
    steps: r.steps_done,
    secondsPerStep: r.seconds_per_step,
    totalSeconds: r.total_seconds,
    losses: r.losses,
  };
}

/** Largest |kit - python| / |python| over the first `steps` losses, and where. */
export function lossAgreement(kit: number[], python: number[], steps = PAIRED_STEPS): { maxRelDiff: number; atStep: number; compared: number } {
  const compared = Math.min(steps, kit.length, python.length);
  let maxRelDiff = 0;
  let atStep = 0;
  for (let i = 0; i < compared; i++) {
    const rel = Math.abs(kit[i]! - python[i]!) / Math.abs(python[i]!);
    // A NaN loss on either side is the worst disagreement, and stays so.
    if (Number.isNaN(rel) ? maxRelDiff !== Infinity : rel > maxRelDiff) {
      maxRelDiff = Number.isNaN(rel) ? Infinity : rel;
      atStep = i + 1;
    }
  }
  return { maxRelDiff, atStep, compared };
}

function duration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  return m > 0 ? `${m} min ${Math.round(seconds - 60 * m)} s` : `${seconds.toFixed(1)} s`;
}

/** The side-by-side table, as the README shows it (Markdown). */
export function comparisonTable(sides: SideResult[], paired: boolean): string {
  const rows = [
    "| side | accuracy | F1 | steps | time per step | total time |",
    "|---|---|---|---|---|---|",
    ...sides.map((s) => `| ${s.side} | ${s.accuracy.toFixed(4)} | ${s.f1.toFixed(4)} | ${s.steps} | ${(1000 * s.secondsPerStep).toFixed(0)} ms | ${duration(s.totalSeconds)} |`),
  ];
  const [kit, python] = sides;
  if (kit && python) {
    rows.push("", `Difference (kit - Python): accuracy ${(kit.accuracy - python.accuracy).toFixed(4)}, F1 ${(kit.f1 - python.f1).toFixed(4)}.`);
    if (paired) {
      const a = lossAgreement(kit.losses, python.losses);
      const ok = a.maxRelDiff <= PAIRED_LOSS_RTOL;
      rows.push(
        `Paired run: largest relative loss difference over the first ${a.compared} steps ${a.maxRelDiff.toExponential(2)} ` +
          `(step ${a.atStep}; contract <= ${PAIRED_LOSS_RTOL}): ${ok ? "within" : "OUTSIDE"}.`,
      );
    }
  }
  return rows.join("\n") + "\n";
}

function defaultPython(): string | undefined {
  if (process.env.KIT_PYTHON) return process.env.KIT_PYTHON;
  const venv = join(ROOT, "bench", "python", ".venv", "bin", "python");
  return existsSync(venv) ? venv : undefined;
}

function runOrFail(what: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  console.log(`\n$ ${[command, ...args].join(" ")}`);
  const result = spawnSync(command, args, { cwd: ROOT, stdio: "inherit", env });
  if (result.error) throw new Error(`${what}: could not start ${command} (${result.error.message}).`);
  if (result.status !== 0) throw new Error(`${what} exited with code ${result.status}; its output is above.`);
}

const HELP = `Usage: npm run compare -- [options]

Trains the pretrained preset (${PRETRAINED_PRESET}) with the kit, then the Python course (bench/python/course.py) on the
same checkpoint and data, and prints accuracy, F1, time per step and total time side by side.

Options:
  --seed N            seed of both runs (default 42)
  --max-steps N       stop both after N steps; the schedule spans N (default: the course's 1377)
  --paired            dropout 0, the head ${HEAD_FILE}, Python follows the kit's batch order;
                      adds the per-step loss agreement over the first ${PAIRED_STEPS} steps (contract: within ${PAIRED_LOSS_RTOL * 100}%)
  --threads N         threads of each side (default 2)
  --out-dir DIR       where both runs are saved (default runs/compare-<seed>[-paired])
  --python PATH       the Python with bench/python/requirements.txt (default: KIT_PYTHON, else bench/python/.venv)
  --kit-run DIR --python-out FILE
                      print the table of two finished runs without training
  -h, --help          this help
`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: "string", default: "42" },
      "max-steps": { type: "string" },
      paired: { type: "boolean", default: false },
      threads: { type: "string", default: "2" },
      "out-dir": { type: "string" },
      python: { type: "string" },
      "kit-run": { type: "string" },
      "python-out": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const integer = (flag: string, v: string | undefined, min: number): string | undefined => {
    if (v !== undefined && !(/^\d+$/.test(v) && Number(v) >= min)) throw new Error(`--${flag} must be an integer >= ${min}, got "${v}".`);
    return v;
  };
  const seed = integer("seed", values.seed, 0)!;
  const maxSteps = integer("max-steps", values["max-steps"], 1);
  const threads = integer("threads", values.threads, 1)!;

  if (values["kit-run"] !== undefined || values["python-out"] !== undefined) {
    if (values["kit-run"] === undefined || values["python-out"] === undefined) throw new Error("--kit-run and --python-out go together (the table of two finished runs).");
    process.stdout.write(comparisonTable([kitSide(join(values["kit-run"], "run-record.json")), pythonSide(values["python-out"])], values.paired));
    return 0;
  }

  const python = values.python ?? defaultPython();
  if (python === undefined) {
    throw new Error(
      "No Python for the course's side: make bench/python/.venv (python3 -m venv bench/python/.venv && " +
        "bench/python/.venv/bin/pip install -r bench/python/requirements.txt), or pass --python PATH / set KIT_PYTHON.",
    );
  }
  const outDir = resolve(ROOT, values["out-dir"] ?? join("runs", `compare-${seed}${values.paired ? "-paired" : ""}`));
  const order = join(outDir, "batch-order.json");
  const kitDir = join(outDir, "kit");
  const pythonOut = join(outDir, "python.json");
  const steps = maxSteps ? ["--max-steps", maxSteps] : [];
  const paired = values.paired ? ["--dropout", "0", "--init-head", HEAD_FILE] : [];

  runOrFail("the kit's run", process.execPath, [
    "--import", "tsx", "src/cli.ts", "train", "--preset", PRETRAINED_PRESET, "--seed", seed, "--threads", threads,
    "--output-dir", kitDir, "--overwrite", ...steps, ...paired, ...(values.paired ? ["--export-batch-order", order] : []),
  ]);
  runOrFail("the Python course", python, [
    "bench/python/course.py", "--task", "mrpc", "--seed", seed, "--threads", threads, "--out", pythonOut, "--no-progress",
    ...steps, ...paired, ...(values.paired ? ["--batch-order", order] : []),
  ], { ...process.env, HF_HUB_OFFLINE: "1" });
  console.log("");
  process.stdout.write(comparisonTable([kitSide(join(kitDir, "run-record.json")), pythonSide(pythonOut)], values.paired));
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`npm run compare: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(2);
    },
  );
}
