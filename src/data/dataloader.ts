// DataLoader: batches of rows through a collate function, epoch after epoch. The order of epoch e depends
// only on (seed, e), and the loader knows where it is (epoch, batch index), so a training run saved
// mid-epoch resumes on the very next batch with the same order.
import * as tf from "@tensorflow/tfjs-core";
import type { DatasetFormat } from "../datasets/dataset";
import { BatchSampler, RandomSampler, SequentialSampler, type BatchSamplerLike, type Sampler } from "./sampler";

/** Anything with indexed rows: a Dataset, or a plain array of rows. */
export type DataSource<R> = { readonly numRows: number; at(index: number): R; readonly format?: DatasetFormat } | readonly R[];

export type DataLoaderOptions<R, B> = {
  batchSize?: number;
  shuffle?: boolean;
  /** Seed of the shuffled orders (42 unless given): epoch e uses the permutation derived from (seed, e). */
  seed?: number | string;
  dropLast?: boolean;
  collateFn?: (rows: R[]) => B;
  /** Replaces the sequential / random sampler (mutually exclusive with shuffle). */
  sampler?: Sampler;
  /** Replaces batching altogether (mutually exclusive with batchSize, shuffle, sampler, dropLast). */
  batchSampler?: BatchSamplerLike;
};

/** Where the loader stands: the epoch, and how many of its batches were already handed out. */
export type DataLoaderState = { epoch: number; batchIndex: number };

/** Without a collateFn: format "tfjs" stacks columns into tensors, otherwise columns of plain values. */
export type DefaultBatch = Record<string, tf.Tensor | unknown[]>;

export class DataLoader<R = Record<string, unknown>, B = DefaultBatch> {
  readonly dataset: DataSource<R>;
  readonly batchSampler: BatchSamplerLike;
  readonly collateFn: (rows: R[]) => B;
  readonly batchSize: number | null;
  readonly dropLast: boolean;
  private currentEpoch = 0;
  private batchIndex = 0;
  private resumeAt: number | null = null;

  constructor(dataset: DataSource<R>, options: DataLoaderOptions<R, B> = {}) {
    this.dataset = dataset;
    const n = sourceLength(dataset);
    if (options.batchSampler) {
      const clash = (["batchSize", "shuffle", "sampler", "dropLast"] as const).filter((k) => options[k] !== undefined && options[k] !== false);
      if (clash.length > 0) throw new Error(`DataLoader: batchSampler is mutually exclusive with ${clash.join(", ")}; set those on the batch sampler.`);
      this.batchSampler = options.batchSampler;
      this.batchSize = null;
      this.dropLast = false;
    } else {
      if (options.sampler && options.shuffle) {
        throw new Error("DataLoader: sampler is mutually exclusive with shuffle; a custom sampler decides the order itself.");
      }
      const sampler = options.sampler ?? (options.shuffle ? new RandomSampler(n, { seed: options.seed }) : new SequentialSampler(n));
      this.batchSize = options.batchSize ?? 1;
      this.dropLast = options.dropLast ?? false;
      this.batchSampler = new BatchSampler(sampler, this.batchSize, this.dropLast);
    }
    const format = Array.isArray(dataset) ? undefined : (dataset as { format?: DatasetFormat }).format;
    this.collateFn = options.collateFn ?? ((rows: R[]) => defaultCollate(rows as Record<string, unknown>[], format) as B);
  }

  /** Batches per epoch, as Python's len(dataloader). */
  get length(): number {
    return this.batchSampler.length;
  }

  get epoch(): number {
    return this.currentEpoch;
  }

  /** Start the next iteration at the beginning of this epoch (torch's sampler.set_epoch). */
  setEpoch(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0) throw new RangeError(`DataLoader.setEpoch: epoch must be a non-negative integer, got ${epoch}.`);
    this.currentEpoch = epoch;
    this.batchIndex = 0;
    this.resumeAt = null;
  }

  /** The position to save in a checkpoint: the next batch to be handed out. */
  state(): DataLoaderState {
    const pending = this.resumeAt ?? this.batchIndex;
    return pending >= this.length ? { epoch: this.currentEpoch + 1, batchIndex: 0 } : { epoch: this.currentEpoch, batchIndex: pending };
  }

  /** The next iteration resumes at this position (the remaining batches of that epoch, same order). */
  loadState(state: DataLoaderState): void {
    const { epoch, batchIndex } = state;
    if (!Number.isInteger(epoch) || epoch < 0 || !Number.isInteger(batchIndex) || batchIndex < 0 || batchIndex > this.length) {
      throw new RangeError(`DataLoader.loadState: expected { epoch >= 0, 0 <= batchIndex <= ${this.length} }, got ${JSON.stringify(state)}.`);
    }
    this.setEpoch(batchIndex === this.length ? epoch + 1 : epoch);
    if (batchIndex < this.length) this.resumeAt = batchIndex;
  }

  /** The index batches of one epoch (what iteration will fetch). */
  batchIndices(epoch = this.currentEpoch): number[][] {
    return this.batchSampler.batches(epoch);
  }

  /**
   * One epoch, from the resume position if loadState was called, else from its first batch. A completed
   * iteration advances the epoch; breaking out of a loop leaves it (the next loop replays the epoch).
   */
  *[Symbol.iterator](): Generator<B, void, undefined> {
    const epoch = this.currentEpoch;
    const batches = this.batchSampler.batches(epoch);
    let k = this.resumeAt ?? 0;
    this.resumeAt = null;
    this.batchIndex = k;
    for (; k < batches.length; k++) {
      const rows = batches[k]!.map((i) => rowAt(this.dataset, i));
      const batch = this.collateFn(rows);
      this.batchIndex = k + 1;
      yield batch;
    }
    this.currentEpoch = epoch + 1;
    this.batchIndex = 0;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<B, void, undefined> {
    yield* this[Symbol.iterator]();
  }
}

function sourceLength<R>(dataset: DataSource<R>): number {
  if (Array.isArray(dataset)) return dataset.length;
  const n = (dataset as { numRows?: unknown }).numRows;
  if (typeof n !== "number") throw new TypeError("DataLoader: the dataset must be an array of rows or have numRows and at(i).");
  return n;
}

function rowAt<R>(dataset: DataSource<R>, i: number): R {
  if (Array.isArray(dataset)) {
    if (i < 0 || i >= dataset.length) throw new RangeError(`DataLoader: the sampler asked for row ${i} of ${dataset.length}.`);
    return dataset[i] as R;
  }
  return (dataset as { at(i: number): R }).at(i);
}

/**
 * torch's default_collate for rows of plain values. Format "tfjs": integers -> int32 tensor [B], other
 * numbers -> float32, equal-length number lists -> [B, L]; strings stay lists. Format columns restrict the keys.
 */
export function defaultCollate(rows: readonly Record<string, unknown>[], format?: DatasetFormat): DefaultBatch {
  if (rows.length === 0) throw new Error("defaultCollate: empty batch.");
  const keys = format?.columns ?? Object.keys(rows[0]!);
  const out: DefaultBatch = {};
  for (const key of keys) {
    const values = rows.map((r) => r[key]);
    out[key] = format?.type === "tfjs" ? toTensor(key, values) : values;
  }
  return out;
}

function toTensor(key: string, values: unknown[]): tf.Tensor | unknown[] {
  if (values.every((v) => typeof v === "number")) {
    const nums = values as number[];
    return tf.tensor1d(nums, nums.every(Number.isInteger) ? "int32" : "float32");
  }
  if (values.every((v) => Array.isArray(v) && v.every((x) => typeof x === "number"))) {
    const lists = values as number[][];
    const len = lists[0]!.length;
    if (lists.some((l) => l.length !== len)) {
      throw new Error(
        `defaultCollate: column "${key}" has rows of different lengths (${Math.min(...lists.map((l) => l.length))} to ${Math.max(...lists.map((l) => l.length))}); ` +
          "pad them with collateFn: new DataCollatorWithPadding({ tokenizer }).collate.",
      );
    }
    const flat = lists.flat();
    return tf.tensor2d(flat, [lists.length, len], flat.every(Number.isInteger) ? "int32" : "float32");
  }
  return values;
}
