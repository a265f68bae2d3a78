// The native GELU and dropout masks' effect on a training step (bench/NOTES.md, "Native GELU and dropout
// masks"): the workload (batch 8 x 65, dropout 0.1, AdamW) on the native GEMM, with TF.js's GELU ops and JS
// masks against the native ones, switched in-process and interleaved (ABBA rounds), medians of the rounds.
// `npx tsx bench/elementwise-step.ts [--shape minilm] [--rounds 4] [--steps 2] [--ops 20]`; --ops N also times
// the parts alone, N interleaved times each: one GELU forward + backward on MiniLM's [520, 1536] and the 19
// dropout masks of a MiniLM step (5.0M draws).
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { gelu } from "../src/nn/functional";
import { Dropout } from "../src/nn/dropout";
import { Generator } from "../src/utils/random";
import { setNativeElementwise } from "../src/backend/wasm/native-elementwise";
import { useBackend, wasmGemmLabel, wasmThreadsCount } from "../src/backend/device";
import { workloadStep } from "./workload";
import { isShapeName } from "./shapes";
import { median } from "./stats";

export async function elementwiseStep(shape: string, rounds: number, steps: number): Promise<Record<string, number[]>> {
  if (!isShapeName(shape)) throw new Error(`--shape: unknown shape "${shape}"`);
  await useBackend("wasm");
  const step = workloadStep(shape);
  const variants = [
    { name: "js GELU/masks", native: false },
    { name: "native GELU/masks", native: true },
  ];
  const samples: Record<string, number[]> = {};
  for (const v of variants) {
    setNativeElementwise(v.native);
    step(); // warm-up
    samples[v.name] = [];
  }
  for (let r = 0; r < rounds; r++) {
    for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
      setNativeElementwise(v.native);
      for (let i = 0; i < steps; i++) {
        const t0 = performance.now();
        step();
        samples[v.name]!.push(performance.now() - t0);
      }
    }
  }
  return samples;
}

/** Per variant: ms of one GELU forward + backward on [520, 1536], and of one MiniLM step's dropout masks. */
export async function elementwiseOps(reps: number): Promise<Record<string, { gelu: number[]; masks: number[] }>> {
  await useBackend("wasm");
  const x = tf.tensor(new Generator(1).normalArray(520 * 1536), [520, 1536]);
  const dy = tf.tensor(new Generator(2).normalArray(520 * 1536), [520, 1536]);
  const layer = new Dropout(0.1, { generator: new Generator("bench/dropout") });
  layer.train();
  // A MiniLM-L6 step's dropout inputs: embeddings and per layer attention probabilities, two hidden states.
  const shapes = [[8, 65, 384], ...Array.from({ length: 6 }, () => [[8, 12, 65, 65], [8, 65, 384], [8, 65, 384]]).flat()];
  const inputs = shapes.map((s) => tf.zeros(s));
  const out: Record<string, { gelu: number[]; masks: number[] }> = { "js GELU/masks": { gelu: [], masks: [] }, "native GELU/masks": { gelu: [], masks: [] } };
  const geluGrad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(gelu(v), dy)));
  for (let r = 0; r < reps; r++) {
    for (const [name, on] of (r % 2 === 0 ? [["js GELU/masks", false], ["native GELU/masks", true]] : [["native GELU/masks", true], ["js GELU/masks", false]]) as [string, boolean][]) {
      setNativeElementwise(on);
      let t0 = performance.now();
      // Braces: tidy walks what its function returns, and walking a 800K-value typed array takes seconds.
      tf.tidy(() => {
        geluGrad(x).dataSync();
      });
      out[name]!.gelu.push(performance.now() - t0);
      t0 = performance.now();
      tf.tidy(() => inputs.forEach((t) => layer.forward(t)));
      out[name]!.masks.push(performance.now() - t0);
    }
  }
  tf.dispose([x, dy, ...inputs]);
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const arg = (f: string, d: string): string => (argv.includes(f) ? argv[argv.indexOf(f) + 1]! : d);
  const shape = arg("--shape", "minilm");
  if (argv.includes("--ops")) {
    const ops = await elementwiseOps(Number(arg("--ops", "20")));
    console.log("alone, median (min) ms: GELU forward + backward on [520, 1536]; one MiniLM step's 19 dropout masks (5.0M draws)");
    for (const [name, t] of Object.entries(ops)) {
      console.log(`${name.padEnd(20)} GELU ${median(t.gelu).toFixed(1)} (${Math.min(...t.gelu).toFixed(1)})  masks ${median(t.masks).toFixed(1)} (${Math.min(...t.masks).toFixed(1)})`);
    }
  }
  const rounds = Number(arg("--rounds", "4"));
  const samples = rounds > 0 ? await elementwiseStep(shape, rounds, Number(arg("--steps", "2"))) : {};
  if (rounds > 0) console.log(`${shape}, wasm + ${wasmGemmLabel()}, ${wasmThreadsCount()} wasm thread(s): median ms per training step`);
  for (const [name, ms] of Object.entries(samples)) {
    console.log(`${name.padEnd(20)} ${median(ms).toFixed(1).padStart(8)} ms  (min ${Math.min(...ms).toFixed(1)}, ${ms.length} steps)`);
  }
}
