// The hand-made batch of 4 that tiny-v128-h32/reference.json was computed on, as the int32 tensors the
// collator produces (the caller disposes them).
import * as tf from "@tensorflow/tfjs-core";
import type { BertBatch } from "../../src/models/bert";
import { readReference } from "./shared";

type ReferenceBatch = { batch: { input_ids: number[][]; attention_mask: number[][]; token_type_ids: number[][]; labels: number[] } };

export function referenceBatch(): BertBatch {
  const b = readReference<ReferenceBatch>("tiny-v128-h32/reference.json").batch;
  return {
    input_ids: tf.tensor2d(b.input_ids, undefined, "int32"),
    attention_mask: tf.tensor2d(b.attention_mask, undefined, "int32"),
    token_type_ids: tf.tensor2d(b.token_type_ids, undefined, "int32"),
    labels: tf.tensor1d(b.labels, "int32"),
  };
}
