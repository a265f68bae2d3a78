// What a training step spends besides the GEMM, op by op at one model shape (default MiniLM-L6: the
// pretrained preset): each element-wise block's forward + backward timed alone (wall, median), times how
// often one step runs it. The tool behind bench/NOTES.md's "What remains besides the GEMM".
// `npx tsx bench/remaining.ts [--shape minilm] [--reps 7]` (wasm backend, KIT_WASM_THREADS as set).
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { useBackend } from "../src/backend/device";
import { Dropout } from "../src/nn/dropout";
import { embedding, gelu, layerNorm } from "../src/nn/functional";
import { Generator } from "../src/utils/random";
import { SHAPES, WORKLOAD, isShapeName, type ShapeName } from "./shapes";
import { median } from "./stats";

export interface RemainingRow {
  name: string;
  /** One call's forward + backward, ms (median). */
  callMs: number;
  callsPerStep: number;
  msPerStep: number;
}

function timeGrad(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, reps: number): number {
  const g = tf.grad((v: tf.Tensor) => tf.sum(f(v)));
  const run = (): void => tf.tidy(() => void g(x).dataSync());
  run();
  run();
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    run();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

export async function remainingOps(shape: ShapeName, reps: number): Promise<RemainingRow[]> {
  await useBackend("wasm");
  const s = SHAPES[shape];
  const { batch, length, vocabSize } = WORKLOAD;
  const tokens = batch * length;
  const heads = s.numAttentionHeads;
  const headDim = s.hiddenSize / heads;
  const L = s.numHiddenLayers;
  const inter = tf.randomNormal([batch, length, s.intermediateSize]);
  const hidden = tf.randomNormal([batch, length, s.hiddenSize]);
  const scores = tf.randomNormal([batch, heads, length, length]);
  const split = tf.randomNormal([batch, length, heads, headDim]);
  const w = tf.ones([s.hiddenSize]);
  const b = tf.zeros([s.hiddenSize]);
  const table = tf.randomNormal([vocabSize, s.hiddenSize], 0, 0.02);
  const ids = tf.tensor2d(Int32Array.from({ length: tokens }, (_, i) => 1000 + ((i * 7919) % (vocabSize - 1000))), [batch, length], "int32");
  // The model's own Dropout: its mask is drawn in JS from the seeded generator, part of what it costs.
  const drop = new Dropout(WORKLOAD.dropout, { generator: new Generator(0) });
  const dropoutOp = (x: tf.Tensor): tf.Tensor => drop.forward(x);
  const rows: Array<[string, number, () => number]> = [
    ["GELU (erfc fit), [tokens, intermediate]", L, () => timeGrad((x) => gelu(x), inter, reps)],
    ["LayerNorm, [tokens, hidden]", 2 * L + 1, () => timeGrad((x) => layerNorm(x, w, b, 1e-12), hidden, reps)],
    ["softmax, [batch, heads, len, len]", L, () => timeGrad((x) => tf.softmax(x), scores, reps)],
    ["dropout p=0.1, [tokens, hidden]", 3 * L + 1, () => timeGrad((x) => dropoutOp(x), hidden, reps)],
    ["dropout p=0.1, attention probs", L, () => timeGrad((x) => dropoutOp(x), scores, reps)],
    // Heads split (q, k, v) and merged (context): forward transposes and their gradients' transposes.
    ["transpose heads [b,len,h,d]<->[b,h,len,d]", 4 * L, () => timeGrad((x) => tf.transpose(x, [0, 2, 1, 3]), split, reps)],
    ["word embedding lookup + scatter gradient", 1, () => timeGrad((t) => embedding(t, ids, 0), table, reps)],
  ];
  const out: RemainingRow[] = [];
  for (const [name, calls, f] of rows) {
    const callMs = f();
    out.push({ name, callMs, callsPerStep: calls, msPerStep: callMs * calls });
  }
  tf.dispose([inter, hidden, scores, split, w, b, table, ids]);
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const arg = (f: string, d: string): string => (argv.includes(f) ? argv[argv.indexOf(f) + 1]! : d);
  const shape = arg("--shape", "minilm");
  if (!isShapeName(shape)) throw new Error(`--shape: unknown shape "${shape}"`);
  for (const r of await remainingOps(shape, Number(arg("--reps", "7")))) {
    console.log(`${r.name.padEnd(46)} ${r.callMs.toFixed(2).padStart(8)} ms x${String(r.callsPerStep).padEnd(3)} = ${r.msPerStep.toFixed(1).padStart(7)} ms/step`);
  }
}
