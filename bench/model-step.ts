// One shape on one backend, in a process of its own (so that its peak RSS is its own): the forward pass
// (train mode, no gradient) and the training step (forward + backward + AdamW step + zeroGrad), each timed
// over `steps` runs after `warmup`. The parent (bench/index.ts) runs this file as a child and reads the
// JSON line it prints. Run by hand: `npx tsx bench/model-step.ts --shape tiny --backend wasm`.
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import { useBackend, wasmGemmLabel, wasmThreadsCount } from "../src/backend/device";
import { wasmHeapBytes } from "../src/backend";
import { backward, noGrad } from "../src/nn/autograd";
import { isShapeName, type ShapeName } from "./shapes";
import { median } from "./stats";
import { syntheticBatch, workloadModel } from "./workload";

export interface ModelStepResult {
  shape: ShapeName;
  backend: string;
  /** Threads the wasm backend computed with (KIT_WASM_THREADS); absent on the other backends. */
  threads?: number;
  /** wasm only: the GEMM behind its matMuls (wasmGemmLabel: BLAS, kernel name, threads). */
  gemm?: string;
  parameters: number;
  forwardMs: number;
  stepMs: number;
  forwardSamplesMs: number[];
  stepSamplesMs: number[];
  /** Loss of the first and last timed step (a sanity check that the step trains and stays finite). */
  firstLoss: number;
  lastLoss: number;
  /** tf.memory().numTensors after the first and the last step: equal when nothing leaks. */
  tensorsAfterFirstStep: number;
  tensorsAfterLastStep: number;
  peakRssMiB: number;
  /** wasm only: the heap's final size (it only grows, so this is its peak; the cap is 4096 MiB). */
  wasmHeapMiB?: number;
}

export interface ModelStepOptions {
  shape: ShapeName;
  backend: string;
  steps: number;
  warmup: number;
}

/** KIT_BENCH_TRACE=1: where memory goes (wasm's heap only grows, up to its 4 GiB cap). */

/** The tensors the current scope holds, by shape (what the gradient tape keeps alive). */
function traceScopeShapes(): void {
  const scope = (tf.engine().state as unknown as { activeScope: { track: tf.Tensor[] } | null }).activeScope;
  const bySize = new Map<string, { count: number; bytes: number }>();
  for (const t of scope?.track ?? []) {
    if (t.isDisposed) continue;
    const key = `[${t.shape.join(",")}] ${t.dtype}`;
    const e = bySize.get(key) ?? { count: 0, bytes: 0 };
    e.count += 1;
    e.bytes += t.size * 4;
    bySize.set(key, e);
  }
  for (const [k, e] of [...bySize].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 15)) {
    process.stderr.write(`[trace]   ${k}: ${e.count} tensors, ${(e.bytes / 2 ** 20).toFixed(1)} MiB\n`);
  }
}

function traceMemory(stage: string): void {
  const heap = wasmHeapBytes();
  const m = tf.memory();
  process.stderr.write(
    `[trace] ${stage}: ${m.numTensors} tensors, ${(m.numBytes / 2 ** 20).toFixed(0)} MiB live` +
      (heap === undefined ? "" : `, wasm heap ${(heap / 2 ** 20).toFixed(0)} MiB`) +
      `, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB\n`,
  );
}

export async function measureModelStep(options: ModelStepOptions): Promise<ModelStepResult> {
  const { shape, backend, steps, warmup } = options;
  await useBackend(backend);
  const { model, params, optimizer } = workloadModel(shape);
  const batch = syntheticBatch(0);

  const trace = process.env.KIT_BENCH_TRACE ? (stage: string): void => traceMemory(stage) : (): void => {};
  const forward = (): number => noGrad(() => model.forward(batch).loss!.dataSync()[0]!);
  const step = (): number => {
    trace("step: start");
    const loss = backward(() => {
      const l = model.forward(batch).loss!;
      trace("step: forward done inside backward");
      if (process.env.KIT_BENCH_TRACE === "shapes") traceScopeShapes();
      return l;
    }, params);
    trace("step: after backward");
    optimizer.step();
    trace("step: after optimizer.step");
    optimizer.zeroGrad();
    return loss;
  };
  const timed = (fn: () => number): { samples: number[]; values: number[] } => {
    for (let i = 0; i < warmup; i++) fn();
    const samples: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      values.push(fn());
      samples.push(performance.now() - t0);
    }
    return { samples, values };
  };

  trace("start");
  const fwd = timed(forward);
  trace("after forward passes");
  // A single step (e.g. BERT-Base on cpu, minutes a step) skips the extra leak-check step before timing.
  const single = steps === 1 && warmup === 0;
  if (!single) step();
  let tensorsAfterFirstStep = tf.memory().numTensors;
  const st = timed(step);
  const tensorsAfterLastStep = tf.memory().numTensors;
  if (single) tensorsAfterFirstStep = tensorsAfterLastStep; // nothing to compare against
  const result: ModelStepResult = {
    shape,
    backend,
    ...(backend === "wasm" ? { threads: wasmThreadsCount(), gemm: wasmGemmLabel() } : {}),
    parameters: params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0),
    forwardMs: median(fwd.samples),
    stepMs: median(st.samples),
    forwardSamplesMs: fwd.samples,
    stepSamplesMs: st.samples,
    firstLoss: st.values[0]!,
    lastLoss: st.values[st.values.length - 1]!,
    tensorsAfterFirstStep,
    tensorsAfterLastStep,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  const heap = wasmHeapBytes();
  if (heap !== undefined) result.wasmHeapMiB = heap / 2 ** 20;
  optimizer.dispose();
  model.dispose();
  tf.dispose(Object.values(batch));
  return result;
}

function parseChildArgs(argv: string[]): ModelStepOptions {
  const get = (flag: string, fallback?: string): string => {
    const i = argv.indexOf(flag);
    const v = i >= 0 ? argv[i + 1] : fallback;
    if (v === undefined) throw new Error(`model-step: missing ${flag}`);
    return v;
  };
  const shape = get("--shape");
  if (!isShapeName(shape)) throw new Error(`model-step: unknown shape "${shape}"`);
  return { shape, backend: get("--backend", "wasm"), steps: Number(get("--steps", "10")), warmup: Number(get("--warmup", "3")) };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await measureModelStep(parseChildArgs(process.argv.slice(2)));
  // The parent reads the last line of stdout.
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}
