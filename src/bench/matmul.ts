// GFLOP/s of the matMuls a BERT step runs, on the current backend: the evidence behind the layout choices
// in src/nn/functional.ts (bench/NOTES.md). `npx tsx src/bench/matmul.ts [--backend wasm] [--hidden 128]`.
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { useBackend } from "../backend/device";

export interface MatMulTiming {
  label: string;
  ms: number;
  gflops: number;
}

function time(label: string, flops: number, f: () => tf.Tensor, reps = 20): MatMulTiming {
  for (let i = 0; i < 3; i++) tf.tidy(f).dispose();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    const r = tf.tidy(f);
    r.dataSync();
    r.dispose();
  }
  const ms = (performance.now() - t0) / reps;
  return { label, ms, gflops: flops / ms / 1e6 };
}

export function matmulTimings(hidden: number, heads: number, tokens = 520, batch = 8, seq = 65): MatMulTiming[] {
  const inter = hidden * 4;
  const head = hidden / heads;
  const x = tf.randomNormal([tokens, hidden]);
  const w = tf.randomNormal([hidden, hidden]);
  const wt = tf.transpose(w);
  const wi = tf.randomNormal([inter, hidden]);
  const q = tf.randomNormal([batch * heads, seq, head]);
  const kT = tf.randomNormal([batch * heads, head, seq]);
  const k = tf.randomNormal([batch * heads, seq, head]);
  const f = 2 * tokens * hidden * hidden;
  const fa = 2 * batch * heads * seq * seq * head;
  const out = [
    time(`x[${tokens},${hidden}] @ W^T pre-transposed`, f, () => tf.matMul(x, wt)),
    time(`x @ transpose(W) each call`, f, () => tf.matMul(x, tf.transpose(w))),
    time(`x @ W transposeB flag`, f, () => tf.matMul(x, w, false, true)),
    time(`dW = transpose(dy) @ x`, f, () => tf.matMul(tf.transpose(x), x)),
    time(`dW transposeA flag`, f, () => tf.matMul(x, x, true, false)),
    time(`x @ Wi^T [${hidden}->${inter}] transpose each call`, 4 * f, () => tf.matMul(x, tf.transpose(wi))),
    time(`fused x @ W^T + bias`, f, () => tf.fused.matMul({ a: x, b: wt, bias: tf.zeros([hidden]) })),
    time(`attn q @ kT [${batch * heads},${seq},${head}]`, fa, () => tf.matMul(q, kT)),
    time(`attn q @ k transposeB flag`, fa, () => tf.matMul(q, k, false, true)),
  ];
  tf.dispose([x, w, wt, wi, q, kT, k]);
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const arg = (f: string, d: string): string => (argv.includes(f) ? argv[argv.indexOf(f) + 1]! : d);
  await useBackend(arg("--backend", "wasm"));
  const hidden = Number(arg("--hidden", "128"));
  for (const t of matmulTimings(hidden, Number(arg("--heads", String(hidden / 64))))) {
    console.log(`${t.label.padEnd(48)} ${t.ms.toFixed(2).padStart(8)} ms ${t.gflops.toFixed(1).padStart(6)} GFLOP/s`);
  }
}
