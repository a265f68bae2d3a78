// The native LayerNorm's, softmax's and bias sums' effect (bench/NOTES.md, "Native LayerNorm", "Native softmax",
// "Native bias sums"): their kernels against TF.js's ops, switched in-process (only the chosen kernels are
// unregistered: GELU, the masks and the other row kernels stay native in both) and interleaved (ABBA), medians.
// `npx tsx bench/row-kernels-step.ts [--kernels layer-norm|softmax|sum-rows|both] [--shape minilm] [--ops 30] [--rounds 6]
// [--steps 2]`: --ops N times the block alone N times each (LayerNorm forward + backward on MiniLM's [520, 384],
// softmax forward + backward on its attention scores [8, 12, 65, 65]); --rounds R x --steps S whole training
// steps (batch 8 x 65, dropout 0.1, AdamW). sum-rows (the dense layers' bias gradients) has steps only (--ops 0).
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { layerNorm, softmax } from "../src/nn/functional";
import { Generator } from "../src/utils/random";
import { KIT_LAYER_NORM, KIT_LAYER_NORM_GRAD, KIT_SOFTMAX, KIT_SOFTMAX_GRAD, KIT_SUM_ROWS } from "../src/backend/kernel-names";
import { nativeElementwiseActive } from "../src/backend/wasm/native-elementwise";
import { useBackend, wasmGemmLabel, wasmThreadsCount } from "../src/backend/device";
import { workloadStep } from "./workload";
import { isShapeName } from "./shapes";
import { median } from "./stats";

const VARIANTS = ["TF.js ops", "native"] as const;
type Variant = (typeof VARIANTS)[number];
const KERNELS = { "layer-norm": [KIT_LAYER_NORM, KIT_LAYER_NORM_GRAD], softmax: [KIT_SOFTMAX, KIT_SOFTMAX_GRAD], "sum-rows": [KIT_SUM_ROWS] } as const;
export type Kernels = keyof typeof KERNELS | "both";

/** Switches the chosen native kernels (their configs kept, to register them again) on and off. */
function kernelSwitch(kernels: Kernels): (variant: Variant) => void {
  if (!nativeElementwiseActive()) throw new Error("bench/row-kernels-step.ts: the native kernels are off (KIT_ELEMENTWISE=js, KIT_GEMM=wasm or no addon built)");
  const names = kernels === "both" ? [...KERNELS["layer-norm"], ...KERNELS.softmax] : [...KERNELS[kernels]];
  const configs = names.map((name) => tf.getKernel(name, "wasm")!);
  return (variant) => {
    for (const config of configs) {
      const registered = tf.getKernel(config.kernelName, "wasm") !== undefined;
      if (variant === "native" && !registered) tf.registerKernel(config);
      if (variant === "TF.js ops" && registered) tf.unregisterKernel(config.kernelName, "wasm");
    }
  };
}

function interleaved(round: number): readonly Variant[] {
  return round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
}

/**
 * ms of one LayerNorm forward + backward on [520, 384] (eps 1e-12) or one softmax forward + backward on
 * [8, 12, 65, 65], per variant (each through tf.grads of sum(y * dy): that mul, sum and their gradients included).
 */
export async function rowKernelOps(kernel: "layer-norm" | "softmax", reps: number): Promise<Record<Variant, number[]>> {
  await useBackend("wasm");
  const use = kernelSwitch(kernel);
  const shape = kernel === "layer-norm" ? [520, 384] : [8, 12, 65, 65];
  const size = shape.reduce((a, b) => a * b, 1);
  const width = shape[shape.length - 1]!;
  const x = tf.tensor(new Generator(1).normalArray(size, 0, kernel === "softmax" ? 3 : 1), shape);
  const dy = tf.tensor(new Generator(2).normalArray(size), shape);
  const w = tf.tensor1d(new Generator(3).normalArray(width, 1, 0.1));
  const b = tf.tensor1d(new Generator(4).normalArray(width, 0, 0.1));
  const grads =
    kernel === "layer-norm"
      ? (): tf.Tensor[] => tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(layerNorm(a, c, d, 1e-12), dy)))([x, w, b])
      : (): tf.Tensor[] => [tf.grad((a: tf.Tensor) => tf.sum(tf.mul(softmax(a), dy)))(x)];
  const out: Record<Variant, number[]> = { "TF.js ops": [], native: [] };
  for (let r = -1; r < reps; r++) {
    for (const v of interleaved(r)) {
      use(v);
      const t0 = performance.now();
      tf.tidy(() => {
        grads().forEach((g) => g.dataSync());
      });
      if (r >= 0) out[v].push(performance.now() - t0); // round -1: warm-up
    }
  }
  use("native");
  tf.dispose([x, dy, w, b]);
  return out;
}

/** ms of whole training steps, per variant. */
export async function rowKernelSteps(kernels: Kernels, shape: string, rounds: number, steps: number): Promise<Record<Variant, number[]>> {
  if (!isShapeName(shape)) throw new Error(`--shape: unknown shape "${shape}"`);
  await useBackend("wasm");
  const use = kernelSwitch(kernels);
  const step = workloadStep(shape);
  const out: Record<Variant, number[]> = { "TF.js ops": [], native: [] };
  for (const v of VARIANTS) {
    use(v);
    step(); // warm-up
  }
  for (let r = 0; r < rounds; r++) {
    for (const v of interleaved(r)) {
      use(v);
      for (let i = 0; i < steps; i++) {
        const t0 = performance.now();
        step();
        out[v].push(performance.now() - t0);
      }
    }
  }
  use("native");
  return out;
}

function summary(ms: number[]): string {
  return `${median(ms).toFixed(1).padStart(8)} ms (min ${Math.min(...ms).toFixed(1)}, ${ms.length} runs)`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const arg = (f: string, d: string): string => (argv.includes(f) ? argv[argv.indexOf(f) + 1]! : d);
  const load = (): string => loadavg().map((l) => l.toFixed(2)).join(" ");
  console.log(`${new Date().toISOString()} load average ${load()}`);
  const kernels = arg("--kernels", "both");
  if (kernels !== "both" && !(kernels in KERNELS)) throw new Error(`--kernels: expected layer-norm, softmax, sum-rows or both, got "${kernels}"`);
  const reps = kernels === "sum-rows" ? 0 : Number(arg("--ops", "30"));
  for (const kernel of kernels === "both" ? (["layer-norm", "softmax"] as const) : [kernels as "layer-norm" | "softmax"]) {
    if (reps <= 0) break;
    const ops = await rowKernelOps(kernel, reps);
    const what = kernel === "layer-norm" ? "LayerNorm forward + backward on [520, 384]" : "softmax forward + backward on [8, 12, 65, 65]";
    console.log(`${what}, median: wasm + ${wasmGemmLabel()}, ${wasmThreadsCount()} wasm thread(s)`);
    for (const v of VARIANTS) console.log(`${v.padEnd(20)} ${summary(ops[v])}`);
    console.log(`${new Date().toISOString()} load average ${load()}`);
  }
  const shape = arg("--shape", "minilm");
  const rounds = Number(arg("--rounds", "6"));
  if (rounds > 0) {
    const steps = await rowKernelSteps(kernels as Kernels, shape, rounds, Number(arg("--steps", "2")));
    console.log(`${shape} training step, ${kernels} native or TF.js ops, median: wasm + ${wasmGemmLabel()}, ${wasmThreadsCount()} wasm thread(s)`);
    for (const v of VARIANTS) console.log(`${v.padEnd(20)} ${summary(steps[v])}`);
    console.log(`${new Date().toISOString()} load average ${load()}`);
  }
}
