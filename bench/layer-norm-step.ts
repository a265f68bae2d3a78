// The native LayerNorm's effect (bench/NOTES.md, "Native LayerNorm"): the KitLayerNorm kernels against the
// composite of TF.js ops, switched in-process (only LayerNorm's two kernels are unregistered: GELU and the
// masks stay native in both) and interleaved (ABBA), medians. `npx tsx bench/layer-norm-step.ts [--shape minilm]
// [--ops 30] [--rounds 6] [--steps 2]`: --ops N times one LayerNorm forward + backward on MiniLM's [520, 384]
// N times each; --rounds R x --steps S whole training steps (batch 8 x 65, dropout 0.1, AdamW).
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { layerNorm } from "../src/nn/functional";
import { Generator } from "../src/utils/random";
import { KIT_LAYER_NORM, KIT_LAYER_NORM_GRAD } from "../src/backend/kernel-names";
import { nativeElementwiseActive } from "../src/backend/wasm/native-elementwise";
import { useBackend, wasmGemmLabel, wasmThreadsCount } from "../src/backend/device";
import { backward } from "../src/nn/autograd";
import { syntheticBatch, workloadModel } from "./model-step";
import { isShapeName } from "./shapes";
import { median } from "./stats";

const VARIANTS = ["composite LayerNorm", "native LayerNorm"] as const;
type Variant = (typeof VARIANTS)[number];

/** The native LayerNorm kernels' configs, to unregister and register them again. */
function layerNormSwitch(): (variant: Variant) => void {
  if (!nativeElementwiseActive()) throw new Error("bench/layer-norm-step.ts: the native kernels are off (KIT_ELEMENTWISE=js, KIT_GEMM=wasm or no addon built)");
  const configs = [KIT_LAYER_NORM, KIT_LAYER_NORM_GRAD].map((name) => tf.getKernel(name, "wasm")!);
  return (variant) => {
    for (const config of configs) {
      const registered = tf.getKernel(config.kernelName, "wasm") !== undefined;
      if (variant === "native LayerNorm" && !registered) tf.registerKernel(config);
      if (variant === "composite LayerNorm" && registered) tf.unregisterKernel(config.kernelName, "wasm");
    }
  };
}

function interleaved(round: number): readonly Variant[] {
  return round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
}

/** ms of one LayerNorm forward + backward on [520, 384] (eps 1e-12), per variant. */
export async function layerNormOps(reps: number): Promise<Record<Variant, number[]>> {
  await useBackend("wasm");
  const use = layerNormSwitch();
  const x = tf.tensor(new Generator(1).normalArray(520 * 384), [520, 384]);
  const dy = tf.tensor(new Generator(2).normalArray(520 * 384), [520, 384]);
  const w = tf.tensor1d(new Generator(3).normalArray(384, 1, 0.1));
  const b = tf.tensor1d(new Generator(4).normalArray(384, 0, 0.1));
  const grads = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(layerNorm(a, c, d, 1e-12), dy)));
  const out: Record<Variant, number[]> = { "composite LayerNorm": [], "native LayerNorm": [] };
  for (let r = -1; r < reps; r++) {
    for (const v of interleaved(r)) {
      use(v);
      const t0 = performance.now();
      tf.tidy(() => {
        grads([x, w, b]).forEach((g) => g.dataSync());
      });
      if (r >= 0) out[v].push(performance.now() - t0); // round -1: warm-up
    }
  }
  use("native LayerNorm");
  tf.dispose([x, dy, w, b]);
  return out;
}

/** ms of whole training steps, per variant. */
export async function layerNormSteps(shape: string, rounds: number, steps: number): Promise<Record<Variant, number[]>> {
  if (!isShapeName(shape)) throw new Error(`--shape: unknown shape "${shape}"`);
  await useBackend("wasm");
  const use = layerNormSwitch();
  const { model, params, optimizer } = workloadModel(shape);
  const batch = syntheticBatch(0);
  const step = (): void => {
    backward(() => model.forward(batch).loss!, params);
    optimizer.step();
    optimizer.zeroGrad();
  };
  const out: Record<Variant, number[]> = { "composite LayerNorm": [], "native LayerNorm": [] };
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
  use("native LayerNorm");
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
  const reps = Number(arg("--ops", "30"));
  if (reps > 0) {
    const ops = await layerNormOps(reps);
    console.log(`LayerNorm forward + backward on [520, 384], median: wasm + ${wasmGemmLabel()}, ${wasmThreadsCount()} wasm thread(s)`);
    for (const v of VARIANTS) console.log(`${v.padEnd(20)} ${summary(ops[v])}`);
    console.log(`${new Date().toISOString()} load average ${load()}`);
  }
  const shape = arg("--shape", "minilm");
  const rounds = Number(arg("--rounds", "6"));
  if (rounds > 0) {
    const steps = await layerNormSteps(shape, rounds, Number(arg("--steps", "2")));
    console.log(`${shape} training step, median: wasm + ${wasmGemmLabel()}, ${wasmThreadsCount()} wasm thread(s)`);
    for (const v of VARIANTS) console.log(`${v.padEnd(20)} ${summary(steps[v])}`);
    console.log(`${new Date().toISOString()} load average ${load()}`);
  }
}
