// The scores themselves, as scikit-learn 1.2.1 computes them (evaluate's glue/accuracy/f1 call sklearn).

/** Fraction of equal pairs: numpy's `(preds == labels).mean()` (an exact count divided by n). */
export function accuracyScore(predictions: ArrayLike<number>, references: ArrayLike<number>): number {
  let correct = 0;
  for (let i = 0; i < predictions.length; i++) if (predictions[i] === references[i]) correct++;
  return correct / predictions.length;
}

/**
 * Binary F1 of the positive label, sklearn 1.2.1's `f1_score(y_true, y_pred)`: precision and recall first,
 * then `2 * precision * recall / (precision + recall)` in that order (later sklearn versions use a
 * count formula that differs in the last bit). A zero denominator gives 0, as zero_division="warn" does.
 */
export function binaryF1Score(predictions: ArrayLike<number>, references: ArrayLike<number>, posLabel = 1): number {
  const labels = new Set<number>();
  for (let i = 0; i < references.length; i++) labels.add(references[i]!);
  for (let i = 0; i < predictions.length; i++) labels.add(predictions[i]!);
  const sorted = [...labels].sort((a, b) => a - b);
  if (sorted.length > 2) {
    throw new Error(
      `f1: the labels are multiclass (${sorted.join(", ")}) but F1 here is binary; predictions and references must ` +
        `take at most two values, with ${posLabel} the positive one.`,
    );
  }
  if (sorted.length === 2 && !labels.has(posLabel)) {
    throw new Error(`f1: pos_label=${posLabel} is not a valid label. It should be one of [${sorted.join(", ")}].`);
  }
  let tp = 0;
  let predPos = 0;
  let truePos = 0;
  for (let i = 0; i < predictions.length; i++) {
    const p = predictions[i] === posLabel;
    const t = references[i] === posLabel;
    if (p) predPos++;
    if (t) truePos++;
    if (p && t) tp++;
  }
  const precision = predPos === 0 ? 0 : tp / predPos;
  const recall = truePos === 0 ? 0 : tp / truePos;
  const denom = precision + recall;
  return denom === 0 ? 0 : (2 * precision * recall) / denom;
}
