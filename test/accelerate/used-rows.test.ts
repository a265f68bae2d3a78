// Which rows of an embedding gradient the sparse exchange sends: the ids the embedding looked up when the
// gradient comes straight from its backward (no scan of the table), else a scan for non-zero rows. Either
// way, every row left out must be zero, so scattering the sent rows back rebuilds the gradient bit for bit.
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/backend";
import { usedRows } from "../../src/accelerate/accelerator";
import { Embedding } from "../../src/nn";
import { backward } from "../../src/nn/autograd";
import { embeddingGradientRows } from "../../src/nn/functional";
import { Parameter } from "../../src/nn/parameter";

beforeAll(async () => {
  await useBackend("wasm");
});

const IDS = [[5, 9, 0, 9], [1999, 5, 0, 0]];

function embeddingGrad(paddingIdx: number | null): { grad: tf.Tensor; param: Parameter } {
  const emb = new Embedding(2000, 3, { paddingIdx });
  const ids = tf.tensor2d(IDS, [2, 4], "int32");
  const weights = tf.tensor3d(Array.from({ length: 24 }, (_, i) => ((i * 7) % 5) - 2), [2, 4, 3]);
  backward(() => tf.sum(tf.mul(emb.forward(ids), weights)) as tf.Scalar, [emb.weight]);
  ids.dispose();
  weights.dispose();
  return { grad: emb.weight.grad!, param: emb.weight };
}

function rebuilt(rows: { used: Int32Array; local: Float32Array }, shape: [number, number]): Float32Array {
  const out = new Float32Array(shape[0] * shape[1]);
  rows.used.forEach((r, k) => out.set(rows.local.subarray(k * shape[1], (k + 1) * shape[1]), r * shape[1]));
  return out;
}

describe("usedRows", () => {
  for (const paddingIdx of [null, 0]) {
    it(`takes the looked-up ids of an embedding gradient (paddingIdx ${paddingIdx}) and loses no value`, () => {
      const { grad, param } = embeddingGrad(paddingIdx);
      expect(embeddingGradientRows(grad)).not.toBeNull();
      const hinted = usedRows(grad);
      expect(Array.from(hinted.used)).toEqual([0, 1999, 5, 9].sort((a, b) => a - b));
      const dense = grad.dataSync() as Float32Array;
      expect(rebuilt(hinted, [2000, 3])).toEqual(dense);
      // The same values without the hint (a new buffer): found by scanning, the padding row's zeros left out.
      const copy = tf.add(grad, 0);
      expect(embeddingGradientRows(copy)).toBeNull();
      const scanned = usedRows(copy);
      expect(Array.from(scanned.used)).toEqual(paddingIdx === 0 ? [5, 9, 1999] : [0, 5, 9, 1999]);
      expect(rebuilt(scanned, [2000, 3])).toEqual(dense);
      copy.dispose();
      param.dispose();
    });
  }

  it("an accumulated gradient has no hint (a new buffer): it is scanned", () => {
    const { param } = embeddingGrad(null);
    const first = param.grad!.dataSync().slice() as Float32Array;
    param.accumulateGrad(tf.zerosLike(param.grad!));
    expect(embeddingGradientRows(param.grad!)).toBeNull();
    const rows = usedRows(param.grad!);
    expect(Array.from(rows.used)).toEqual([0, 5, 9, 1999]);
    expect(rebuilt(rows, [2000, 3])).toEqual(first);
    param.dispose();
  });
});
