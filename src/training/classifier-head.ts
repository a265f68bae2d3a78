// The paired run's shared starting point: a classification head saved by the Python side
// (bench/python/reference.py or course.py) replaces the one fromPretrained initialised from the seed, so
// both sides start from the same weights. Only the head: the encoder comes from the checkpoint on both sides.
import { readSafetensors } from "../utils/safetensors";
import type { Module } from "../nn/module";

export const CLASSIFIER_HEAD_KEYS = ["classifier.weight", "classifier.bias"] as const;

/** Load `classifier.weight` and `classifier.bias` from a safetensors file into `model`. */
export async function loadClassifierHead(model: Module, path: string): Promise<void> {
  let tensors;
  try {
    ({ tensors } = await readSafetensors(path));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`--init-head ${path}: cannot read it as safetensors (${why}). Give a file written by safetensors' save_file holding ${CLASSIFIER_HEAD_KEYS.join(" and ")}.`);
  }
  const keys = [...tensors.keys()].sort();
  const want = [...CLASSIFIER_HEAD_KEYS].sort();
  if (keys.length !== want.length || keys.some((k, i) => k !== want[i])) {
    throw new Error(`--init-head ${path}: holds [${keys.join(", ")}], expected exactly [${want.join(", ")}] (the classification head only).`);
  }
  const own = new Map(model.namedParameters());
  for (const [name, t] of tensors) {
    const p = own.get(name);
    if (!p) throw new Error(`--init-head ${path}: the model has no parameter ${name}.`);
    if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
      throw new Error(`--init-head ${path}: ${name} has shape [${t.shape.join(", ")}], the model's is [${p.shape.join(", ")}] (hidden size x num labels must match).`);
    }
  }
  model.loadStateDict(tensors, { strict: false });
}
