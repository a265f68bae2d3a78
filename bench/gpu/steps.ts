// Issue 17 item 4: 100 timed training steps of the pretrained preset's shape (MiniLM-L6, bench/shapes.ts's
// workload: batch 8, length 65, dropout 0.1, AdamW), initialised from the seed, on the backend that
// selectDevice() picks (KIT_BACKEND forces one). Each step ends by reading the loss, as a training loop that
// logs it does, so a step's time includes the GPU's work. Prints one JSON line.
// Run: `npx tsx bench/gpu/steps.ts [--steps 100] [--warmup 3]`, or bundled by bench/gpu/bundle.sh.
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs-core";
import { selectDevice } from "../../src/backend";
import { backwardAsync } from "../../src/nn";
import { syntheticBatch, workloadModel } from "../workload";
import { SHAPES, WORKLOAD, isShapeName } from "../shapes";
import { median } from "../stats";

const { values } = parseArgs({
  options: { steps: { type: "string", default: "100" }, warmup: { type: "string", default: "3" }, shape: { type: "string", default: "minilm" } },
});
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const shape = values.shape!;
if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps: expected a positive integer, got "${values.steps}"`);
if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`--warmup: expected a whole number, got "${values.warmup}"`);
if (!isShapeName(shape)) throw new Error(`--shape: expected one of ${Object.keys(SHAPES).join(", ")}, got "${shape}"`);

// The backend line (adapter, vendor, Dawn backend) goes into the JSON, not onto stdout.
const lines: string[] = [];
const log = console.log;
console.log = (...args: unknown[]): void => void lines.push(args.join(" "));
const device = await selectDevice();
console.log = log;
const { model, params, optimizer } = workloadModel(shape);
const batch = syntheticBatch(0);

async function step(): Promise<number> {
  const loss = await backwardAsync(() => model.forward(batch).loss!, params);
  optimizer.step();
  optimizer.zeroGrad();
  return loss;
}

const warmupMs: number[] = [];
for (let i = 0; i < warmup; i++) {
  const t0 = performance.now();
  await step();
  warmupMs.push(performance.now() - t0);
}
const tensorsBefore = tf.memory().numTensors;
const samples: number[] = [];
const losses: number[] = [];
const t0 = performance.now();
for (let i = 0; i < steps; i++) {
  const t = performance.now();
  losses.push(await step());
  samples.push(performance.now() - t);
}
const totalMs = performance.now() - t0;
const result = {
  shape: SHAPES[shape].label,
  workload: WORKLOAD,
  backend: tf.getBackend(),
  device: device.name,
  backendLine: lines,
  steps,
  warmupMs,
  totalMs,
  medianStepMs: median(samples),
  minStepMs: Math.min(...samples),
  maxStepMs: Math.max(...samples),
  firstLoss: losses[0],
  lastLoss: losses.at(-1),
  finite: losses.every(Number.isFinite),
  tensorsBefore,
  tensorsAfter: tf.memory().numTensors,
};
optimizer.dispose();
model.dispose();
tf.dispose(Object.values(batch));
process.stdout.write(`${JSON.stringify(result)}\n`);
