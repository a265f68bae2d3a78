// backward() accumulates like p.grad, noGrad() frees everything, and the custom gradients (dense without
// transpose flags, embedding scatter with a zero padding row) equal the plain formulas, on cpu and wasm.
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { useBackend } from "../../src/backend";
import { AutoModelForSequenceClassification } from "../../src/models/auto";
import { BertConfig } from "../../src/models/bert";
import { Embedding, Linear, backward, noGrad } from "../../src/nn";

const config = new BertConfig({ vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 20 });
const batch = () => ({
  input_ids: tf.tensor2d([[2, 5, 7, 0], [3, 3, 9, 11]], undefined, "int32"),
  attention_mask: tf.tensor2d([[1, 1, 1, 0], [1, 1, 1, 1]], undefined, "int32"),
  token_type_ids: tf.tensor2d([[0, 0, 1, 0], [0, 1, 1, 1]], undefined, "int32"),
  labels: tf.tensor1d([1, 0], "int32"),
});

for (const backend of ["cpu", "wasm"] as const) {
  describe(`autograd on ${backend}`, () => {
    it("two backward calls before zeroGrad give twice the gradient; zeroGrad clears", async () => {
      await useBackend(backend);
      const b = batch();
      // Dropout draws new masks each call; with p = 0 both passes are the same function.
      const noDropout = AutoModelForSequenceClassification.fromConfig(config.clone().update({ hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 }), { seed: 1 });
      noDropout.train();
      const l1 = backward(() => noDropout.forward(b).loss!, noDropout.parameters());
      const once = noDropout.parameters().map((p) => Array.from(p.grad!.dataSync()));
      const l2 = backward(() => noDropout.forward(b).loss!, noDropout.parameters());
      expect(l2).toBe(l1);
      noDropout.parameters().forEach((p, i) => {
        const twice = p.grad!.dataSync();
        once[i]!.forEach((v, j) => expect(Math.abs(twice[j]! - 2 * v), p.name).toBeLessThanOrEqual(1e-7 * Math.abs(v) + 1e-12));
      });
      noDropout.zeroGrad();
      expect(noDropout.parameters().every((p) => p.grad === null)).toBe(true);
      noDropout.dispose();
      tf.dispose(b);
    });

    it("a forward under noGrad and a training step leave tf.memory().numTensors unchanged (besides grads)", async () => {
      await useBackend(backend);
      const model = AutoModelForSequenceClassification.fromConfig(config, { seed: 2 });
      const b = batch();
      const start = tf.memory().numTensors;
      model.eval();
      const predictions = noGrad(() => model.forward(b).logits.argMax(-1));
      expect(predictions.shape).toEqual([2]);
      predictions.dispose();
      expect(tf.memory().numTensors).toBe(start);
      model.train();
      backward(() => model.forward(b).loss!);
      expect(tf.memory().numTensors).toBe(start + model.parameters().length);
      backward(() => model.forward(b).loss!); // accumulating replaces, does not add tensors
      expect(tf.memory().numTensors).toBe(start + model.parameters().length);
      model.zeroGrad();
      expect(tf.memory().numTensors).toBe(start);
      model.dispose();
      tf.dispose(b);
    });

    it("Linear is y = x W^T + b with torch's [out, in] weight, and its gradients are the textbook ones", async () => {
      await useBackend(backend);
      const lin = new Linear(3, 2);
      lin.weight.assign(tf.tensor2d([[1, 2, 3], [4, 5, 6]]));
      lin.bias!.assign(tf.tensor1d([0.5, -1]));
      const x = tf.tensor3d([[[1, 0, -1], [2, 1, 0]]]); // [1, 2, 3]
      expect(lin.forward(x).arraySync()).toEqual([[[-1.5, -3], [4.5, 12]]]);
      const upstream = tf.tensor3d([[[1, 2], [3, -1]]]);
      backward(() => tf.sum(tf.mul(lin.forward(x), upstream)) as tf.Scalar, lin.parameters());
      // dW = dy^T x = [[1*1+3*2, 0+3, -1+0], [2*1-1*2, 0-1, -2+0]]; db = sum(dy).
      expect(lin.weight.grad!.arraySync()).toEqual([[7, 3, -1], [0, -1, -2]]);
      expect(lin.bias!.grad!.arraySync()).toEqual([4, 1]);
      const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(lin.forward(xx), upstream)))(x);
      // dx = dy W
      expect(dx.arraySync()).toEqual([[[9, 12, 15], [-1, 1, 3]]]);
      lin.dispose();
      tf.dispose([x, upstream, dx]);
    });

    it("Embedding's gradient adds repeated rows and leaves the padding row at exactly 0", async () => {
      await useBackend(backend);
      const emb = new Embedding(5, 2, { paddingIdx: 1 });
      emb.weight.assign(tf.tensor2d([[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]));
      const ids = tf.tensor2d([[2, 1, 2], [1, 4, 0]], undefined, "int32");
      expect(emb.forward(ids).arraySync()).toEqual([[[4, 5], [2, 3], [4, 5]], [[2, 3], [8, 9], [0, 1]]]);
      const upstream = tf.tensor3d([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]);
      backward(() => tf.sum(tf.mul(emb.forward(ids), upstream)) as tf.Scalar, emb.parameters());
      expect(emb.weight.grad!.arraySync()).toEqual([[11, 12], [0, 0], [6, 8], [0, 0], [9, 10]]);
      emb.dispose();
      tf.dispose([ids, upstream]);
    });
  });
}
