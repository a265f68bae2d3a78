// Which rows, in which order, epoch by epoch. A sampler is a pure function of the epoch (no hidden state),
// so an order can be recomputed to resume mid-epoch, and a distributed sampler can shard the same order
// across processes by implementing the same interface.
import { Generator } from "../utils/random";

export interface Sampler {
  /** How many indices one epoch yields. */
  readonly length: number;
  /** The row indices of one epoch, in order. */
  indices(epoch: number): number[];
}

/** Batches of indices; the DataLoader iterates these. */
export interface BatchSamplerLike {
  readonly length: number;
  batches(epoch: number): number[][];
}

export class SequentialSampler implements Sampler {
  constructor(readonly numSamples: number) {
    checkCount(numSamples, "SequentialSampler");
  }
  get length(): number {
    return this.numSamples;
  }
  indices(): number[] {
    return Array.from({ length: this.numSamples }, (_, i) => i);
  }
}

/** A fresh permutation each epoch, derived from (seed, epoch) only: the same seed replays the same orders. */
export class RandomSampler implements Sampler {
  readonly seed: number | string;
  constructor(
    readonly numSamples: number,
    options: { seed?: number | string } = {},
  ) {
    checkCount(numSamples, "RandomSampler");
    this.seed = options.seed ?? 42;
  }
  get length(): number {
    return this.numSamples;
  }
  indices(epoch: number): number[] {
    checkEpoch(epoch);
    return new Generator(this.seed).fork(`epoch-${epoch}`).permutation(this.numSamples);
  }
}

/** Groups a sampler's indices into batches, as torch's BatchSampler. */
export class BatchSampler implements BatchSamplerLike {
  constructor(
    readonly sampler: Sampler,
    readonly batchSize: number,
    readonly dropLast = false,
  ) {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`BatchSampler: batchSize must be a positive integer, got ${batchSize}.`);
    }
  }
  get length(): number {
    const n = this.sampler.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
  batches(epoch: number): number[][] {
    const order = this.sampler.indices(epoch);
    const out: number[][] = [];
    for (let start = 0; start < order.length; start += this.batchSize) {
      const batch = order.slice(start, start + this.batchSize);
      if (batch.length < this.batchSize && this.dropLast) break;
      out.push(batch);
    }
    return out;
  }
}

function checkCount(n: number, who: string): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${who}: the number of samples must be a non-negative integer, got ${n}.`);
}

function checkEpoch(epoch: number): void {
  if (!Number.isInteger(epoch) || epoch < 0) throw new RangeError(`epoch must be a non-negative integer, got ${epoch}.`);
}
