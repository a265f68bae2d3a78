// The embedding gradient's scatter (rows of dy added into a [V, H] zero matrix at their ids), deterministic on
// webgpu. tfjs-backend-webgpu's ScatterNd adds with float atomics, so rows that share an id (every [CLS],
// [SEP], position and token type) are summed in whatever order the GPU threads land: the same seeded run
// twice gave weights up to 3.7e-9 apart after 4 steps, and a loss 1 ulp off after a resume. Here each id's
// rows are summed by a matrix product with a one-hot selection (a fixed order: row by row), and the sums are
// scattered to distinct ids, where no two threads meet.
import * as tf from "@tensorflow/tfjs-core";

// Below tfjs-backend-webgpu's split-K threshold (an inner size of 2000, summed with atomics too): longer
// batches are split into chunks whose products are added in order.
const MAX_INNER = 1999;

/** tf.scatterND(ids as [N, 1], updates [N, H], shape) with each id's rows summed in row order. */
export function scatterRowsInOrder(updates: tf.Tensor, ids: Int32Array, shape: number[]): tf.Tensor {
  const slotOf = new Map<number, number>();
  const slots = Int32Array.from(ids, (id) => {
    let s = slotOf.get(id);
    if (s === undefined) slotOf.set(id, (s = slotOf.size));
    return s;
  });
  const unique = Int32Array.from(slotOf.keys());
  return tf.tidy(() => {
    let sums: tf.Tensor | null = null;
    for (let start = 0; start < ids.length; start += MAX_INNER) {
      const n = Math.min(MAX_INNER, ids.length - start);
      const select = tf.oneHot(tf.tensor1d(slots.subarray(start, start + n), "int32"), unique.length, 1, 0, "float32");
      const part = tf.matMul(select, tf.slice(updates, [start, 0], [n, -1]), true, false);
      sums = sums === null ? part : tf.add(sums, part);
    }
    return tf.scatterND(tf.tensor2d(unique, [unique.length, 1], "int32"), sums!, shape);
  });
}
