// 🤗 Accelerate's Accelerator for the kit: the same training loop on one process or several.
//
//   const accelerator = new Accelerator();
//   const [trainDl, evalDl, model, optimizer] = await accelerator.prepare(trainDl0, evalDl0, model0, optimizer0);
//   for (const batch of trainDl) {
//     await accelerator.backward(() => model.forward(batch).loss!);  // local backward, then gradients averaged
//     optimizer.step(); lrScheduler.step(); optimizer.zeroGrad();
//   }
//
// Two differences from Python, both because collectives are asynchronous in Node: `prepare` and
// `backward` return promises (await them). The optimizer's step stays synchronous; the prepared optimizer
// refuses to step on gradients that were not averaged, so a forgotten `await` cannot go unnoticed.
import * as tf from "@tensorflow/tfjs-core";
import { currentDevice, type Device } from "../backend/device";
import { DataLoader } from "../data/dataloader";
import { Module } from "../nn/module";
import { embeddingGradientRows, setEmbeddingGradientRows } from "../nn/functional";
import { heapView, inPlaceWriter, overwriteInPlace, readableOnHost, readsOnlyAsynchronously } from "../backend";
import { backwardAsync as nnBackwardAsync } from "../nn/autograd";
import type { Parameter } from "../nn/parameter";
import { LambdaLR } from "../optim/lambda-lr";
import { Optimizer } from "../optim/optimizer";
import { shardBatches, shardLength } from "./batch-sampler-shard";
import { readDistributedEnv } from "./env";
import { initProcessGroup, type ProcessGroup } from "./process-group";

export interface AcceleratorOptions {
  /** Pad the last round of batches by cycling from the start, so every process gets as many (default true). */
  evenBatches?: boolean;
  /** Per-collective timeout (default KIT_COLLECTIVE_TIMEOUT_MS or 30 s). */
  timeoutMs?: number;
  /**
   * Exchange only the used rows of embedding gradients (parameters named `*embeddings.weight` with at
   * least 1024 rows, e.g. BERT's 30522-row word embedding) instead of the whole table. Same result
   * bitwise; default true.
   */
  sparseEmbeddingGradients?: boolean;
}

/** Where a prepared dataloader stands, for gatherForMetrics (accelerate's GradientState). */
interface LoaderState {
  endOfDataloader: boolean;
  /** Real samples in the last round (over all processes), -1 when unknown, 0 when the last round is full. */
  remainder: number;
}

/** A DataLoader sharded across processes. Iterate it like the original; `length` is this process's count. */
export class PreparedDataLoader<R, B> {
  private epochCounter: number;

  constructor(
    readonly base: DataLoader<R, B>,
    private readonly numProcesses: number,
    private readonly processIndex: number,
    readonly evenBatches: boolean,
    private readonly states: LoaderState[],
  ) {
    this.epochCounter = base.epoch;
  }

  get batchSize(): number | null {
    return this.base.batchSize;
  }

  /** Batches this process draws per epoch (len(prepared_dataloader)). */
  get length(): number {
    if (this.base.batchSize === null) return this.batchIndices().length;
    return shardLength(this.base.length, {
      numProcesses: this.numProcesses,
      processIndex: this.processIndex,
      dropLast: this.base.dropLast,
      evenBatches: this.evenBatches,
    });
  }

  /** Examples in the whole dataset (all processes). */
  get totalDatasetLength(): number {
    const d = this.base.dataset as { numRows?: number; length?: number };
    return d.numRows ?? d.length ?? 0;
  }

  get epoch(): number {
    return this.epochCounter;
  }

  setEpoch(epoch: number): void {
    this.epochCounter = epoch;
  }

  /** The index batches this process takes in `epoch`: every process computes the same order, then shards. */
  batchIndices(epoch = this.epochCounter): number[][] {
    return shardBatches(this.base.batchIndices(epoch), {
      numProcesses: this.numProcesses,
      processIndex: this.processIndex,
      batchSize: this.base.batchSize,
      dropLast: this.base.dropLast,
      evenBatches: this.evenBatches,
    });
  }

  *[Symbol.iterator](): Generator<B, void, undefined> {
    const batches = this.batchIndices(this.epochCounter);
    const state: LoaderState = { endOfDataloader: false, remainder: -1 };
    const total = this.base.batchSize === null ? 0 : this.base.batchSize * this.numProcesses;
    if (!this.base.dropLast && total > 0) state.remainder = this.totalDatasetLength % total;
    this.states.push(state);
    try {
      for (let k = 0; k < batches.length; k++) {
        state.endOfDataloader = k === batches.length - 1;
        const rows = batches[k]!.map((i) => rowAt(this.base.dataset, i));
        yield this.base.collateFn(rows as R[]);
      }
      this.epochCounter += 1;
    } finally {
      const at = this.states.lastIndexOf(state);
      if (at >= 0) this.states.splice(at, 1);
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<B, void, undefined> {
    yield* this[Symbol.iterator]();
  }
}

function rowAt(dataset: unknown, i: number): unknown {
  if (Array.isArray(dataset)) return dataset[i];
  return (dataset as { at(i: number): unknown }).at(i);
}

/** What gatherForMetrics and gather accept: a tensor, a flat array, or a record of those. */
export type Gatherable = tf.Tensor | number[] | Float32Array | Int32Array | { [key: string]: tf.Tensor | number[] | Float32Array | Int32Array };

interface Packed {
  kind: "tensor" | "array" | "f32" | "i32";
  shape: number[];
  dtype: string;
  data: number[];
}

function pack(x: tf.Tensor | number[] | Float32Array | Int32Array): Packed {
  if (x instanceof tf.Tensor) return { kind: "tensor", shape: x.shape, dtype: x.dtype, data: Array.from(x.dataSync()) };
  if (x instanceof Float32Array) return { kind: "f32", shape: [x.length], dtype: "float32", data: Array.from(x) };
  if (x instanceof Int32Array) return { kind: "i32", shape: [x.length], dtype: "int32", data: Array.from(x) };
  return { kind: "array", shape: [x.length], dtype: "number", data: x };
}

/** Concatenate along the first axis, keeping the first `keep` rows (all when keep < 0). */
function unpack(parts: Packed[], keep: number): tf.Tensor | number[] | Float32Array | Int32Array {
  const first = parts[0]!;
  const rowSize = first.shape.slice(1).reduce((a, b) => a * b, 1);
  let rows = parts.reduce((n, p) => n + (p.shape[0] ?? 1), 0);
  let data = parts.flatMap((p) => p.data);
  if (keep >= 0 && keep < rows) {
    rows = keep;
    data = data.slice(0, keep * rowSize);
  }
  if (first.kind === "tensor") {
    if (first.shape.length === 0) return tf.tensor(data, [data.length], first.dtype as tf.DataType);
    return tf.tensor(data, [rows, ...first.shape.slice(1)], first.dtype as tf.DataType);
  }
  if (first.kind === "f32") return Float32Array.from(data);
  if (first.kind === "i32") return Int32Array.from(data);
  return data;
}

const SPARSE_MIN_ROWS = 1024;

export class Accelerator {
  readonly numProcesses: number;
  readonly processIndex: number;
  readonly localProcessIndex: number;
  readonly evenBatches: boolean;
  private readonly timeoutMs: number | undefined;
  private readonly sparseEmbeddings: boolean;
  private group: Promise<ProcessGroup> | null = null;
  private readonly loaderStates: LoaderState[] = [];
  private params: Parameter[] = [];
  /** Set by backward after averaging; cleared when gradients change (zeroGrad). */
  gradientsSynchronized = true;

  constructor(options: AcceleratorOptions = {}) {
    const env = readDistributedEnv();
    this.numProcesses = env.worldSize;
    this.processIndex = env.rank;
    this.localProcessIndex = env.localRank;
    this.evenBatches = options.evenBatches ?? true;
    this.timeoutMs = options.timeoutMs;
    this.sparseEmbeddings = options.sparseEmbeddingGradients ?? true;
  }

  get device(): Device {
    return currentDevice();
  }

  get isMainProcess(): boolean {
    return this.processIndex === 0;
  }

  get isLocalMainProcess(): boolean {
    return this.localProcessIndex === 0;
  }

  /** The process group, joined on first use. */
  processGroup(): Promise<ProcessGroup> {
    this.group ??= initProcessGroup({ timeoutMs: this.timeoutMs });
    return this.group;
  }

  /**
   * Returns the objects in the order given: dataloaders sharded, models with rank 0's parameters,
   * optimizers that only step on averaged gradients, LambdaLR schedulers stepping as Accelerate's
   * AcceleratedScheduler (numProcesses times per step). Anything else comes back unchanged.
   */
  async prepare<T extends unknown[]>(...objects: T): Promise<{ [K in keyof T]: Prepared<T[K]> }> {
    const out: unknown[] = [];
    for (const o of objects) {
      if (o instanceof DataLoader) out.push(new PreparedDataLoader(o, this.numProcesses, this.processIndex, this.evenBatches, this.loaderStates));
      else if (o instanceof Module) {
        await this.broadcastParameters(o.parameters());
        this.addParams(o.parameters());
        out.push(o);
      } else if (o instanceof Optimizer) {
        this.addParams(o.paramGroups.flatMap((g) => g.params));
        out.push(this.wrapOptimizer(o));
      } else if (o instanceof LambdaLR) out.push(this.wrapScheduler(o));
      else out.push(o);
    }
    return out as { [K in keyof T]: Prepared<T[K]> };
  }

  /** accelerator.unwrap_model: our prepared model is the model itself. */
  unwrapModel<M>(model: M): M {
    return model;
  }

  /**
   * loss.backward() then the gradients averaged over processes (DDP's all-reduce). Returns this process's
   * loss. Gradients accumulate locally as in torch; each call averages what is accumulated so far.
   */
  async backward(lossFn: () => tf.Scalar): Promise<number> {
    const params = this.params.length > 0 ? this.params : undefined;
    const loss = await nnBackwardAsync(lossFn, params);
    this.gradientsSynchronized = this.numProcesses === 1;
    if (this.numProcesses > 1) {
      if (!params) {
        throw new Error("accelerator.backward: prepare the model (or the optimizer) first, so the gradients to average are known");
      }
      await this.syncGradients(params);
    }
    return loss;
  }

  /**
   * Average every parameter's gradient across processes (dense ones in one allReduce, embeddings sparse).
   * On wasm the averages are written over the local gradients in place: no tensor is made per step, no
   * TF.js operation may run until this resolves (it would move the heap under the gradients' views).
   */
  async syncGradients(params: Parameter[] = this.params): Promise<void> {
    const pg = await this.processGroup();
    const trainable = params.filter((p) => p.requiresGrad);
    // usedRows reads the gradient synchronously: where the backend cannot (webgpu), every gradient travels dense.
    const sparseOk = this.sparseEmbeddings && !readsOnlyAsynchronously();
    const sparse = trainable.filter((p) => sparseOk && /embeddings\.weight$/.test(p.name) && p.shape.length === 2 && p.shape[0]! >= SPARSE_MIN_ROWS);
    const dense = trainable.filter((p) => !sparse.includes(p));
    // One allReduce: a presence flag per parameter, then every dense gradient (zeros where absent). A
    // gradient absent on every process stays absent (the optimizer skips it, as torch does); one present
    // anywhere is averaged with zeros for the processes that lack it. On wasm the gradients travel from the
    // backend's heap and their averages are written back there in place: no message of every gradient to
    // gather and scatter, no tensor per gradient. Elsewhere, or for a tensor that shares its buffer, a copy.
    const flags = Float32Array.from(trainable, (p) => (p.grad !== null ? 1 : 0));
    await readableOnHost(dense.flatMap((p) => (p.grad ? [p.grad] : [])));
    const writers = dense.map((p) => (p.grad ? inPlaceWriter(p.grad) : null));
    const values = dense.map((p, k) => writers[k]?.values ?? (p.grad ? new Float32Array(p.grad.dataSync()) : new Float32Array(sizeOf(p.shape))));
    // Only the embedding rows this process used travel: the table is most of a small BERT's parameters, and
    // scanning or rebuilding it in JS costs a large share of a step (bench/NOTES.md).
    const local = sparse.map((p) => (p.grad ? usedRows(p.grad) : { used: new Int32Array(0), local: new Float32Array(0) }));
    // Issued together, run in this order on every rank (the group serialises its collectives).
    const [, ...reduced] = await Promise.all([
      pg.allReduceMany([flags, ...values], "mean"),
      ...sparse.map((p, k) => pg.allReduceRows(local[k]!.used, local[k]!.local, p.shape[1]!, "mean")),
    ]);
    // A flag > 0 means some process had a gradient: averaged with zeros for those that lacked one.
    const flagIndex = new Map(trainable.map((p, i) => [p, i]));
    const anywhere = (p: Parameter) => flags[flagIndex.get(p)!]! > 0;
    dense.forEach((p, k) => {
      const writer = writers[k];
      if (writer) return writer.commit();
      p.zeroGrad();
      if (anywhere(p)) p.accumulateGrad(tf.tensor(values[k]!, p.shape, "float32"));
    });
    sparse.forEach((p, k) => {
      const { indices, rows } = reduced[k]!;
      const rowSize = p.shape[1]!;
      // In place, the rows this process did not use are zero already: only the averaged rows are written.
      const writeRows = (values: Float32Array) =>
        indices.forEach((row, j) => values.set(rows.subarray(j * rowSize, (j + 1) * rowSize), row * rowSize));
      if (p.grad && overwriteInPlace(p.grad, writeRows)) {
        setEmbeddingGradientRows(p.grad, indices);
        return;
      }
      p.zeroGrad();
      if (anywhere(p)) p.accumulateGrad(scatterRows(indices, rows, p.shape as [number, number]));
    });
    this.gradientsSynchronized = true;
  }

  /** Every process's values, concatenated along the first axis in process order. */
  async gather<X extends Gatherable>(x: X): Promise<X> {
    return this.gatherImpl(x, -1);
  }

  /**
   * gather, then drop the samples that evenBatches padding duplicated in the last round, so that every
   * evaluation example counts exactly once (accelerate's gather_for_metrics).
   */
  async gatherForMetrics<X extends Gatherable>(x: X): Promise<X> {
    const state = this.loaderStates[this.loaderStates.length - 1];
    const keep = state && state.endOfDataloader && state.remainder > 0 ? state.remainder : -1;
    return this.gatherImpl(x, keep);
  }

  private async gatherImpl<X extends Gatherable>(x: X, keep: number): Promise<X> {
    const isLeaf = x instanceof tf.Tensor || Array.isArray(x) || x instanceof Float32Array || x instanceof Int32Array;
    const record = (isLeaf ? { value: x } : x) as Record<string, tf.Tensor | number[] | Float32Array | Int32Array>;
    await readableOnHost(Object.values(record).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
    const packed: Record<string, Packed> = {};
    for (const [k, v] of Object.entries(record)) packed[k] = pack(v);
    const pg = await this.processGroup();
    const all = (await pg.allGather(packed as unknown as Record<string, never>)) as unknown as Record<string, Packed>[];
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(record)) out[k] = unpack(all.map((a) => a[k]!), keep);
    return (isLeaf ? out.value : out) as X;
  }

  /** print on the main process only. */
  print(...args: unknown[]): void {
    if (this.isMainProcess) console.log(...args);
  }

  async waitForEveryone(): Promise<void> {
    if (this.numProcesses > 1) await (await this.processGroup()).barrier();
  }

  /** Wait for everyone, then leave the process group. */
  async endTraining(): Promise<void> {
    if (!this.group) return;
    const pg = await this.group;
    await pg.barrier();
    await pg.destroy();
    this.group = null;
  }

  private addParams(params: Parameter[]): void {
    for (const p of params) if (!this.params.includes(p)) this.params.push(p);
  }

  private async broadcastParameters(params: Parameter[]): Promise<void> {
    if (this.numProcesses === 1) return;
    const pg = await this.processGroup();
    const sizes = params.map((p) => sizeOf(p.shape));
    const flat = new Float32Array(sizes.reduce((a, b) => a + b, 0));
    if (this.isMainProcess) {
      await readableOnHost(params.map((p) => p.variable));
      let at = 0;
      params.forEach((p, k) => {
        flat.set(p.variable.dataSync() as Float32Array, at);
        at += sizes[k]!;
      });
    }
    await pg.broadcast(flat, 0);
    if (this.isMainProcess) return;
    let at = 0;
    params.forEach((p, k) => {
      // slice: a subarray view would keep the whole broadcast buffer alive inside the tensor.
      const values = tf.tensor(flat.slice(at, at + sizes[k]!), p.shape, "float32");
      p.assign(values);
      values.dispose();
      at += sizes[k]!;
    });
  }

  private wrapOptimizer<O extends Optimizer>(optimizer: O): O {
    const accelerator = this;
    return new Proxy(optimizer, {
      get(target, key, receiver) {
        if (key === "step") {
          return () => {
            if (!accelerator.gradientsSynchronized) {
              throw new Error(
                "optimizer.step(): the gradients were not averaged across processes; call `await accelerator.backward(...)` " +
                  "(not the plain backward) and await it before stepping",
              );
            }
            target.step();
          };
        }
        if (key === "zeroGrad") {
          return () => {
            target.zeroGrad();
            accelerator.gradientsSynchronized = true;
          };
        }
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  private wrapScheduler<S extends LambdaLR>(scheduler: S): S {
    const n = this.numProcesses;
    return new Proxy(scheduler, {
      get(target, key, receiver) {
        // Accelerate steps a prepared scheduler once per process per optimizer step (split_batches=False),
        // because each step consumed numProcesses batches of the original dataloader.
        if (key === "step") return () => { for (let i = 0; i < n; i++) target.step(); };
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The type `prepare` returns for an argument of type T. */
export type Prepared<T> = T extends DataLoader<infer R, infer B> ? PreparedDataLoader<R, B> : T;

/**
 * Rows of a 2-D gradient that may hold non-zero values (every other row is exactly zero), and those rows
 * packed: the ids the embedding looked up when the gradient is straight from embedding()'s backward, else
 * the rows with any non-zero value (NaN and Inf count), found by a scan of the whole table.
 */
export function usedRows(grad: tf.Tensor): { used: Int32Array; local: Float32Array } {
  const lookedUp = embeddingGradientRows(grad);
  const used = lookedUp ? Int32Array.from(new Set(lookedUp)).sort() : nonZeroRows(grad);
  if (used.length === 0) return { used, local: new Float32Array(0) };
  const table = heapView(grad);
  if (table !== null) {
    // Straight from the wasm heap: no index tensor, gather and read-back (and their garbage) per step.
    const rowSize = grad.shape[1]!;
    const local = new Float32Array(used.length * rowSize);
    used.forEach((row, k) => local.set(table.subarray(row * rowSize, (row + 1) * rowSize), k * rowSize));
    return { used, local };
  }
  const rows = tf.tidy(() => tf.gather(grad, tf.tensor1d(used, "int32")));
  // slice: dataSync may hand out the backend's own buffer.
  const local = (rows.dataSync() as Float32Array).slice();
  rows.dispose();
  return { used, local };
}

function nonZeroRows(grad: tf.Tensor): Int32Array {
  // A sum of absolute values is 0 exactly when every value is ±0, and NaN when any is NaN.
  const weights = tf.tidy(() => tf.sum(tf.abs(grad), 1));
  const w = weights.dataSync() as Float32Array;
  weights.dispose();
  let count = 0;
  for (let r = 0; r < w.length; r++) if (w[r] !== 0) count++;
  const used = new Int32Array(count);
  for (let r = 0, k = 0; r < w.length; r++) if (w[r] !== 0) used[k++] = r;
  return used;
}

/** A zero table of `shape` with `rows` at `indices` (distinct), built on the backend. */
function scatterRows(indices: Int32Array, rows: Float32Array, shape: [number, number]): tf.Tensor {
  if (indices.length === 0) return tf.zeros(shape, "float32");
  return tf.tidy(() => tf.scatterND(tf.tensor2d(indices, [indices.length, 1], "int32"), tf.tensor2d(rows, [indices.length, shape[1]], "float32"), shape));
}
