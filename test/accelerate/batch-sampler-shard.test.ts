// The expected shards are accelerate's own (tests/test_data_loader.py, two processes, split_batches=False).
import { describe, expect, it } from "vitest";
import { shardBatches, shardLength } from "../../src/accelerate/batch-sampler-shard";

function batchesOf(n: number, size: number, dropLast: boolean): number[][] {
  const out: number[][] = [];
  for (let s = 0; s < n; s += size) {
    const b = Array.from({ length: Math.min(size, n - s) }, (_, k) => s + k);
    if (b.length < size && dropLast) break;
    out.push(b);
  }
  return out;
}

function shards(n: number, size: number, dropLast: boolean, evenBatches = true): number[][][] {
  const batches = batchesOf(n, size, dropLast);
  return [0, 1].map((processIndex) => {
    const got = shardBatches(batches, { numProcesses: 2, processIndex, batchSize: size, dropLast, evenBatches });
    expect(shardLength(batches.length, { numProcesses: 2, processIndex, dropLast, evenBatches })).toBe(got.length);
    return got;
  });
}

describe("shardBatches matches accelerate's BatchSamplerShard", () => {
  it("even batches", () => {
    const r24 = [[[0, 1, 2], [6, 7, 8], [12, 13, 14], [18, 19, 20]], [[3, 4, 5], [9, 10, 11], [15, 16, 17], [21, 22, 23]]];
    expect(shards(24, 3, false)).toEqual(r24);
    expect(shards(24, 3, true)).toEqual(r24);
    expect(shards(21, 3, false)).toEqual([[[0, 1, 2], [6, 7, 8], [12, 13, 14], [18, 19, 20]], [[3, 4, 5], [9, 10, 11], [15, 16, 17], [0, 1, 2]]]);
    const dropped = [[[0, 1, 2], [6, 7, 8], [12, 13, 14]], [[3, 4, 5], [9, 10, 11], [15, 16, 17]]];
    expect(shards(21, 3, true)).toEqual(dropped);
    expect(shards(22, 3, false)).toEqual([[[0, 1, 2], [6, 7, 8], [12, 13, 14], [18, 19, 20]], [[3, 4, 5], [9, 10, 11], [15, 16, 17], [21, 0, 1]]]);
    expect(shards(22, 3, true)).toEqual(dropped);
    expect(shards(20, 3, false)).toEqual([[[0, 1, 2], [6, 7, 8], [12, 13, 14], [18, 19, 0]], [[3, 4, 5], [9, 10, 11], [15, 16, 17], [1, 2, 3]]]);
    expect(shards(20, 3, true)).toEqual(dropped);
    expect(shards(2, 3, false)).toEqual([[[0, 1, 0]], [[1, 0, 1]]]);
    expect(shards(2, 3, true)).toEqual([[], []]);
  });

  it("evenBatches false", () => {
    expect(shards(21, 3, false, false)).toEqual([[[0, 1, 2], [6, 7, 8], [12, 13, 14], [18, 19, 20]], [[3, 4, 5], [9, 10, 11], [15, 16, 17]]]);
    expect(shards(22, 3, false, false)).toEqual([[[0, 1, 2], [6, 7, 8], [12, 13, 14], [18, 19, 20]], [[3, 4, 5], [9, 10, 11], [15, 16, 17], [21]]]);
    expect(shards(20, 3, false, false)).toEqual([[[0, 1, 2], [6, 7, 8], [12, 13, 14], [18, 19]], [[3, 4, 5], [9, 10, 11], [15, 16, 17]]]);
    expect(shards(2, 3, false, false)).toEqual([[[0, 1]], []]);
  });

  it("batches of varying size", () => {
    const varying = [[0, 1, 2], [3, 4], [5, 6, 7, 8], [9, 10, 11], [12, 13]];
    const opts = { numProcesses: 2, batchSize: null, dropLast: false };
    expect(shardBatches(varying, { ...opts, processIndex: 0, evenBatches: false })).toEqual([[0, 1, 2], [5, 6, 7, 8], [12, 13]]);
    expect(shardBatches(varying, { ...opts, processIndex: 1, evenBatches: false })).toEqual([[3, 4], [9, 10, 11]]);
    expect(shardBatches(varying, { ...opts, processIndex: 1, evenBatches: true })).toEqual([[3, 4], [9, 10, 11], [0, 1, 2]]);
    for (const p of [0, 1, 2]) {
      expect(shardBatches([[0, 1, 2]], { numProcesses: 3, processIndex: p, batchSize: null, dropLast: false, evenBatches: true })).toEqual([[0, 1, 2]]);
    }
  });

  it("the course's numbers: 459 train batches give 230 steps per process on 2 processes (3 epochs: 690)", () => {
    for (const p of [0, 1]) expect(3 * shardLength(459, { numProcesses: 2, processIndex: p, dropLast: false, evenBatches: true })).toBe(3 * Math.ceil(459 / 2));
  });
});
