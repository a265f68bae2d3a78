// `node --import tsx scripts/check-run.ts runs/<id>`: checks a finished default run (what CI does after
// `npm start`): completed, all 1377 steps with finite losses, every validation pair scored, and metrics
// inside the range measured over several seeds of the default run (below). Exit code 1 with the reasons.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { TUTORIAL_PRESET } from "../src/training/presets";
import type { RunRecord } from "../src/training/run-record";

/**
 * The default run (`npm start`: preset all-minilm-l6-v2, legacy AdamW, lr 5e-5, 1377 steps) on wasm with the
 * native GEMM (OpenBLAS), measured for each seed listed (README, "What to expect"). A run passes when it is above
 * FLOOR and inside the measured
 * range widened by WIDEN on each side: the last bits differ across CPUs, BLAS kernels and thread counts, and
 * a fine-tuning run's metrics move by a point or so with them.
 */
export const MEASURED_SEEDS: Readonly<Record<number, { accuracy: number; f1: number }>> = {
  // 42 and 1 before the native GELU (28e8cb0), 2 with it (b9ac159): bench/python/results/kit-mrpc-seed*-run-record.json.
  42: { accuracy: 0.7818627450980392, f1: 0.8499156829679596 },
  1: { accuracy: 0.7916666666666666, f1: 0.8580968280467446 },
  2: { accuracy: 0.8284313725490197, f1: 0.8797250859106529 },
};
/**
 * The floor: a run must have learned, i.e. beat the majority class (0.684 / 0.812) by more than a seed's spread.
 * The issue's target (0.80 / 0.86) is reached by one of the three measured seeds, as in Python (README): it is reported, not checked.
 */
export const FLOOR = { accuracy: 0.74, f1: 0.82 } as const;
export const WIDEN = 0.02;

function span(key: "accuracy" | "f1"): [number, number] {
  const values = Object.values(MEASURED_SEEDS).map((m) => m[key]);
  return [Math.max(FLOOR[key], Math.min(...values) - WIDEN), Math.min(1, Math.max(...values) + WIDEN)];
}

export const METRIC_RANGE = { accuracy: span("accuracy"), f1: span("f1") } as const;

export function checkRun(runDir: string): string[] {
  const path = join(runDir, "run-record.json");
  if (!existsSync(path)) return [`${path} not found: is ${runDir} a finished run of \`npm start\`?`];
  const record = JSON.parse(readFileSync(path, "utf8")) as RunRecord;
  const problems: string[] = [];
  if (record.hyperparameters.preset !== TUTORIAL_PRESET) problems.push(`preset is "${record.hyperparameters.preset}", expected npm start's "${TUTORIAL_PRESET}"`);
  if (record.status !== "completed") problems.push(`status is "${record.status}", expected "completed"${record.error ? ` (${record.error})` : ""}`);
  if (record.numTrainingSteps !== 1377) problems.push(`numTrainingSteps is ${record.numTrainingSteps}, expected 1377 (3 epochs x 459 batches)`);
  if (record.steps.loss.length !== 1377) problems.push(`${record.steps.loss.length} step losses recorded, expected 1377`);
  if (record.steps.lr.length !== 1377) problems.push(`${record.steps.lr.length} step learning rates recorded, expected 1377`);
  const bad = record.steps.loss.findIndex((l) => !Number.isFinite(l));
  if (bad !== -1) problems.push(`the loss of step ${bad + 1} is ${record.steps.loss[bad]}`);
  for (const f of ["model.safetensors", "config.json", "tokenizer.json", "vocab.txt"]) {
    if (!existsSync(join(runDir, f))) problems.push(`${join(runDir, f)} is missing (the run saves its model and tokenizer)`);
  }
  const ev = record.evaluation;
  if (!ev) return [...problems, "no evaluation in the run record"];
  if (ev.predictions.length !== 408) problems.push(`${ev.predictions.length} validation predictions, expected 408`);
  for (const key of ["accuracy", "f1"] as const) {
    const [lo, hi] = METRIC_RANGE[key];
    const v = ev.metrics[key]!;
    if (!(v >= lo - 1e-12 && v <= hi + 1e-12)) problems.push(`${key} ${v} is outside [${lo}, ${hi}]: the floor ${FLOOR[key]} and the range measured over seeds ${Object.keys(MEASURED_SEEDS).join(", ")} widened by ${WIDEN}`);
  }
  return problems;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write("Usage: node --import tsx scripts/check-run.ts runs/<id>\n");
    process.exit(2);
  }
  const problems = checkRun(dir);
  if (problems.length > 0) {
    process.stderr.write(`${dir}: the run does not pass:\n${problems.map((p) => `  - ${p}`).join("\n")}\n`);
    process.exit(1);
  }
  console.log(`${dir}: completed, 1377 steps, metrics within the floor and the measured range ${JSON.stringify(METRIC_RANGE)}.`);
}
