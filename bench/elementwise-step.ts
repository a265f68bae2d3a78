// The native GELU and dropout masks' effect on a training step (bench/NOTES.md, "Native GELU and dropout
// masks"): the workload (batch 8 x 65, dropout 0.1, AdamW) on the native GEMM, with TF.js's GELU ops and JS
// masks against the native ones, switched in-process and interleaved (ABBA rounds), medians of the rounds.
// `npx tsx bench/elementwise-step.ts [--shape minilm] [--rounds 4] [--steps 2]`
import { pathToFileURL } from "node:url";
import { setNativeElementwise } from "../src/backend/wasm/native-elementwise";
import { useBackend, wasmGemmLabel, wasmThreadsCount } from "../src/backend/device";
import { backward } from "../src/nn/autograd";
import { syntheticBatch, workloadModel } from "./model-step";
import { isShapeName } from "./shapes";
import { median } from "./stats";

export async function elementwiseStep(shape: string, rounds: number, steps: number): Promise<Record<string, number[]>> {
  if (!isShapeName(shape)) throw new Error(`--shape: unknown shape "${shape}"`);
  await useBackend("wasm");
  const { model, params, optimizer } = workloadModel(shape);
  const batch = syntheticBatch(0);
  const step = (): void => {
    backward(() => model.forward(batch).loss!, params);
    optimizer.step();
    optimizer.zeroGrad();
  };
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

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const arg = (f: string, d: string): string => (argv.includes(f) ? argv[argv.indexOf(f) + 1]! : d);
  const shape = arg("--shape", "minilm");
  const samples = await elementwiseStep(shape, Number(arg("--rounds", "4")), Number(arg("--steps", "2")));
  console.log(`${shape}, wasm + ${wasmGemmLabel()}, ${wasmThreadsCount()} wasm thread(s): median ms per training step`);
  for (const [name, ms] of Object.entries(samples)) {
    console.log(`${name.padEnd(20)} ${median(ms).toFixed(1).padStart(8)} ms  (min ${Math.min(...ms).toFixed(1)}, ${ms.length} steps)`);
  }
}
