// scatterRowsInOrder (src/backend/webgpu/scatter-rows.ts), the webgpu embedding gradient's reproducible
// scatter, checked on the cpu backend against tf.scatterND: the same sums (up to float32 rounding: another
// order of additions), ids never looked up stay exactly zero, batches longer than one chunk included.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { scatterRowsInOrder } from "../../src/backend/webgpu/scatter-rows";

beforeAll(async () => {
  expect(await tf.setBackend("cpu")).toBe(true);
});

function compare(n: number, vocab: number, distinct: number): void {
  const h = 6;
  const ids = Int32Array.from({ length: n }, (_, i) => (i * 7 + (i % 3)) % distinct);
  const updates = tf.randomNormal([n, h], 0, 1, "float32", n);
  const before = tf.memory().numTensors;
  const ours = scatterRowsInOrder(updates, ids, [vocab, h]);
  expect(tf.memory().numTensors).toBe(before + 1);
  const ref = tf.scatterND(tf.tensor2d(ids, [n, 1], "int32"), updates, [vocab, h]);
  expect(ours.shape).toEqual([vocab, h]);
  const [a, b] = [ours.dataSync(), ref.dataSync()];
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (b[i] === 0) expect(a[i], `element ${i}`).toBe(0);
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  }
  // n / distinct rows of N(0, 1) per id: float32 sums of a few thousand terms differ by far less than 1e-4.
  expect(worst).toBeLessThan(1e-4);
  const again = scatterRowsInOrder(updates, ids, [vocab, h]);
  expect(Array.from(again.dataSync())).toEqual(Array.from(a));
  tf.dispose([ours, again, ref, updates]);
}

describe("scatterRowsInOrder", () => {
  it("sums repeated ids like tf.scatterND (a batch of a few hundred tokens)", () => compare(300, 120, 40));
  it("splits a batch longer than one chunk (4500 tokens) and adds the chunks' sums", () => compare(4500, 500, 300));
});
