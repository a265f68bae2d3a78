// GFLOP/s of the matMuls a BERT step runs, on the current backend: the evidence behind the layout choices
// in src/nn/functional.ts (bench/NOTES.md). `npx tsx bench/matmul.ts [--backend wasm] [--hidden 128]`.
// On wasm the products are timed with the package's BatchMatMul, then with the kit's SIMD kernels
// (src/backend/wasm/batch-matmul.ts): the attention products, and the dense ones on the kit's single-product kernel
// (which src/backend uses on one thread). The package caches XNNPACK's packed B by tensor, and the "pre-
// transposed" rows reuse one B: an advantage a training step, whose weights change every step, does not give.
// Where the native GEMM is built, its GFLOP/s on BERT's dense shapes come first (1 and 2 BLAS threads).
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { useBackend } from "../src/backend/device";
import { installWasmKernels, replacedBatchMatMul, setKitDenseMatMul } from "../src/backend";
import { installedNativeGemm, setNativeGemm } from "../src/backend/wasm/gemm-kernels";
import { SHAPES } from "./shapes";

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

/** Run f with the wasm package's own BatchMatMul registered, whatever is installed (the "before" numbers). */
export function withPackageBatchMatMul<T>(f: () => T): T {
  const stock = replacedBatchMatMul();
  const current = tf.getKernel("BatchMatMul", "wasm");
  if (stock === undefined || current === undefined) return f();
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel(stock);
  try {
    return f();
  } finally {
    tf.unregisterKernel("BatchMatMul", "wasm");
    tf.registerKernel(current);
  }
}

/**
 * The batched products of one attention layer's forward and backward (rank 4, as src/models/bert/attention.ts
 * runs them, with src/nn/functional.ts's flag-free gradients).
 */
export function attentionMatmulTimings(hidden: number, heads: number, batch = 8, seq = 65): MatMulTiming[] {
  const head = hidden / heads;
  const q = tf.randomNormal([batch, heads, seq, head]);
  const kT = tf.randomNormal([batch, heads, head, seq]);
  const probs = tf.randomNormal([batch, heads, seq, seq]);
  const v = tf.randomNormal([batch, heads, seq, head]);
  const vT = tf.randomNormal([batch, heads, head, seq]);
  const fa = 2 * batch * heads * seq * seq * head;
  const s = `[${batch},${heads},${seq},${head}]`;
  const out = [
    time(`scores q${s} @ kT`, fa, () => tf.matMul(q, kT)),
    time(`context probs @ v`, fa, () => tf.matMul(probs, v)),
    time(`grad probs: dContext @ vT`, fa, () => tf.matMul(v, vT)),
    time(`grad v: probsT @ dContext`, fa, () => tf.matMul(probs, v)),
  ];
  tf.dispose([q, kT, probs, v, vT]);
  return out;
}

/**
 * The dense products of one BERT layer's training step as the native path issues them (transpose flags, no
 * explicit transposes): forward x W^T for the four attention projections' shape, the intermediate and the
 * output dense; backward dx = dy W and dW = dy^T x for each. One row per shape: total GFLOP/s over them.
 */
export function denseStepTimings(label: string, hidden: number, inter: number, tokens = 520): MatMulTiming {
  const x = tf.randomNormal([tokens, hidden]);
  const h = tf.randomNormal([tokens, inter]);
  const w = tf.randomNormal([hidden, hidden]);
  const wi = tf.randomNormal([inter, hidden]);
  const wo = tf.randomNormal([hidden, inter]);
  const products: Array<[tf.Tensor, tf.Tensor, boolean, boolean]> = [
    [x, w, false, true], [x, wi, false, true], [h, wo, false, true], // forward
    [x, w, false, false], [h, wi, false, false], [x, wo, false, false], // dx = dy W
    [x, x, true, false], [h, x, true, false], [x, h, true, false], // dW = dy^T x
  ];
  const flops = 2 * tokens * (hidden * hidden + 2 * hidden * inter) * 3;
  const t = time(label, flops, () => {
    let last: tf.Tensor | null = null;
    for (const [a, b, ta, tb] of products) {
      last?.dispose();
      last = tf.matMul(a, b, ta, tb);
    }
    return last!;
  }, 10);
  tf.dispose([x, h, w, wi, wo]);
  return t;
}

/** BERT's dense shapes (Tiny..Base and MiniLM-L6) on the native GEMM with 1 and 2 BLAS threads. */
export function nativeDenseTimings(): Array<MatMulTiming & { threads: number }> {
  const gemm = installedNativeGemm();
  if (gemm === null) return [];
  // SHAPES holds MiniLM-L6 too.
  const shapes = Object.values(SHAPES).map((s) => [s.label, s.hiddenSize, s.intermediateSize] as [string, number, number]);
  const before = gemm.getNumThreads();
  const out: Array<MatMulTiming & { threads: number }> = [];
  try {
    for (const threads of [1, 2]) {
      gemm.setNumThreads(threads);
      for (const [label, hidden, inter] of shapes) out.push({ ...denseStepTimings(label, hidden, inter), threads });
    }
  } finally {
    gemm.setNumThreads(before);
  }
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const arg = (f: string, d: string): string => (argv.includes(f) ? argv[argv.indexOf(f) + 1]! : d);
  await useBackend(arg("--backend", "wasm"));
  const hidden = Number(arg("--hidden", "128"));
  const heads = Number(arg("--heads", String(hidden / 64)));
  const show = (ts: MatMulTiming[], note = ""): void => {
    for (const t of ts) console.log(`${(t.label + note).padEnd(56)} ${t.ms.toFixed(2).padStart(8)} ms ${t.gflops.toFixed(1).padStart(6)} GFLOP/s`);
  };
  const wasm = tf.getBackend() === "wasm";
  if (wasm) installWasmKernels();
  if (wasm && installedNativeGemm() !== null) {
    console.log("Native GEMM, one layer's dense products (forward, dx, dW), 520 tokens:");
    for (const t of nativeDenseTimings()) {
      console.log(`  ${t.label.padEnd(20)} ${t.threads} BLAS thread(s) ${t.ms.toFixed(2).padStart(8)} ms ${t.gflops.toFixed(1).padStart(6)} GFLOP/s, ${(t.gflops / t.threads).toFixed(1)} per core`);
    }
    setNativeGemm(false); // the rows below are the wasm backend's own GEMM, as before
  }
  show(withPackageBatchMatMul(() => [...matmulTimings(hidden, heads), ...attentionMatmulTimings(hidden, heads)]));
  if (wasm) {
    show(attentionMatmulTimings(hidden, heads), " (SIMD)");
    const previous = setKitDenseMatMul(true);
    show(matmulTimings(hidden, heads).slice(0, 6), " (kit)"); // (not the fused product: FusedMatMul stays XNNPACK's)
    setKitDenseMatMul(previous);
  }
}
