// Where a training step's time goes, per TF.js kernel (tf.profile): the tool behind bench/NOTES.md.
// `npx tsx bench/profile.ts --shape tiny --backend wasm [--forward] [--top 20] [--elementwise both]`. Kernel
// times come from the backend's own timer; the gap to the wall time is JS overhead (tape, tidy, op dispatch)
// and work outside kernels (dropout masks). `--elementwise native|js|both` profiles with the native GELU and
// masks on, off, or off then on in the same process (wasm with the addon built).
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { useBackend } from "../src/backend/device";
import { setNativeElementwise } from "../src/backend/wasm/native-elementwise";
import { backward, noGrad } from "../src/nn/autograd";
import { isShapeName, type ShapeName } from "./shapes";
import { syntheticBatch, workloadModel } from "./workload";

export interface KernelShare {
  name: string;
  ms: number;
  calls: number;
}

export interface StepProfile {
  wallMs: number;
  /** The step's phases timed apart (wall, one step each; 0 for a forward-only profile): the fused AdamW runs
   * outside TF.js's kernels, so tf.profile cannot see it. */
  phasesMs: { forwardBackward: number; optimizer: number };
  kernelMs: number;
  kernels: KernelShare[];
}

/** `elementwise`: switch the native GELU and masks on or off after the backend starts (undefined: as it starts). */
export async function profileStep(shape: ShapeName, backend: string, forwardOnly = false, elementwise?: boolean): Promise<StepProfile> {
  await useBackend(backend);
  if (elementwise !== undefined) setNativeElementwise(elementwise);
  const { model, params, optimizer } = workloadModel(shape);
  const batch = syntheticBatch(0);
  const fn = forwardOnly
    ? (): void => void noGrad(() => model.forward(batch).loss!.dataSync())
    : (): void => {
        backward(() => model.forward(batch).loss!, params);
        optimizer.step();
        optimizer.zeroGrad();
      };
  for (let i = 0; i < 3; i++) fn();
  const t0 = performance.now();
  fn();
  const wallMs = performance.now() - t0;
  const phasesMs = { forwardBackward: 0, optimizer: 0 };
  if (!forwardOnly) {
    const t1 = performance.now();
    backward(() => model.forward(batch).loss!, params);
    const t2 = performance.now();
    optimizer.step();
    optimizer.zeroGrad();
    phasesMs.forwardBackward = t2 - t1;
    phasesMs.optimizer = performance.now() - t2;
  }
  const info = await tf.profile(fn);
  const agg = new Map<string, KernelShare>();
  for (const k of info.kernels) {
    // The batched products (attention) and the 2-D ones (dense layers) take different paths on wasm.
    const a0 = k.inputShapes[0];
    const name = k.name === "BatchMatMul" && a0 ? `BatchMatMul ${a0.slice(0, -2).reduce((x, y) => x * y, 1) > 1 ? "batched" : "2-D"}` : k.name;
    const a = agg.get(name) ?? { name, ms: 0, calls: 0 };
    a.ms += Number(k.kernelTimeMs);
    a.calls += 1;
    agg.set(name, a);
  }
  const kernels = [...agg.values()].sort((a, b) => b.ms - a.ms);
  optimizer.dispose();
  model.dispose();
  tf.dispose(Object.values(batch));
  // "forward" is a custom gradient's forward pass: its time is its inner kernels', counted again.
  return { wallMs, phasesMs, kernelMs: kernels.filter((k) => k.name !== "forward").reduce((t, k) => t + k.ms, 0), kernels };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const arg = (f: string, d: string): string => (argv.includes(f) ? argv[argv.indexOf(f) + 1]! : d);
  const shape = arg("--shape", "tiny");
  if (!isShapeName(shape)) throw new Error(`unknown shape ${shape}`);
  const mode = arg("--elementwise", "");
  const runs: [string, boolean | undefined][] =
    mode === "both" ? [["js GELU/masks", false], ["native GELU/masks", true]] : mode === "" ? [["", undefined]] : [[mode, mode === "native"]];
  if (!["", "both", "native", "js"].includes(mode)) throw new Error(`--elementwise ${mode}: expected native, js or both`);
  for (const [label, on] of runs) {
    const p = await profileStep(shape, arg("--backend", "wasm"), argv.includes("--forward"), on);
    console.log(
      `${label ? `[${label}] ` : ""}wall ${p.wallMs.toFixed(1)} ms (forward+backward ${p.phasesMs.forwardBackward.toFixed(1)}, optimizer ${p.phasesMs.optimizer.toFixed(1)}), ` +
        `kernels ${p.kernelMs.toFixed(1)} ms ("forward" rows nest other kernels: not summed)`,
    );
    for (const k of p.kernels.slice(0, Number(arg("--top", "20")))) {
      console.log(`${k.name.padEnd(24)} ${k.ms.toFixed(1).padStart(8)} ms  x${k.calls}`);
    }
  }
}
