// An evaluate-like metric: accumulate predictions and references batch by batch, then compute() once
// (which, as in evaluate, empties the buffer for the next evaluation).
import * as tf from "@tensorflow/tfjs-core";

/** What a batch may hold: plain numbers, a typed array, or a 1-D tensor (read, never disposed). */
export type MetricValues = ArrayLike<number> | tf.Tensor;

export interface MetricBatch {
  predictions: MetricValues;
  references: MetricValues;
}

export type ComputeFn<R> = (predictions: number[], references: number[]) => R;

export class Metric<R extends Record<string, number> = Record<string, number>> {
  private predictions: number[] = [];
  private references: number[] = [];

  constructor(
    /** evaluate's id, e.g. "glue/mrpc" or "accuracy", used in error messages. */
    readonly name: string,
    private readonly computeFn: ComputeFn<R>,
  ) {}

  /** Add one batch (e.g. `logits.argMax(-1)` and `batch.labels`). */
  addBatch({ predictions, references }: MetricBatch): void {
    const preds = readValues(this.name, "predictions", predictions, 1);
    const refs = readValues(this.name, "references", references, 1);
    if (preds.length !== refs.length) {
      throw new Error(
        `${this.name}.addBatch: mismatch in the number of predictions (${preds.length}) and references (${refs.length}); ` +
          `pass one prediction per reference.`,
      );
    }
    for (const v of preds) this.predictions.push(v);
    for (const v of refs) this.references.push(v);
  }

  /** Add one example. */
  add({ prediction, reference }: { prediction: number | tf.Tensor; reference: number | tf.Tensor }): void {
    const [p] = readValues(this.name, "prediction", typeof prediction === "number" ? [prediction] : prediction, 0);
    const [r] = readValues(this.name, "reference", typeof reference === "number" ? [reference] : reference, 0);
    if (p === undefined || r === undefined) {
      throw new Error(`${this.name}.add: expected one prediction and one reference; use addBatch for several.`);
    }
    this.predictions.push(p);
    this.references.push(r);
  }

  /** Number of examples added since the last compute(). */
  get size(): number {
    return this.predictions.length;
  }

  /** Score everything added (plus an optional last batch), then reset. */
  compute(batch?: MetricBatch): R {
    if (batch) this.addBatch(batch);
    if (this.predictions.length === 0) {
      throw new Error(
        `${this.name}.compute: no predictions were added; call add() or addBatch() at least once before compute().`,
      );
    }
    const [preds, refs] = [this.predictions, this.references];
    this.predictions = [];
    this.references = [];
    return this.computeFn(preds, refs);
  }
}

function readValues(metric: string, what: string, values: MetricValues, rank: 0 | 1): number[] {
  let data: ArrayLike<number>;
  if (values instanceof tf.Tensor) {
    if (values.isDisposed) throw new Error(`${metric}: the ${what} tensor was already disposed; pass it before disposing it.`);
    const okRank = rank === 1 ? values.rank === 1 : values.rank === 0 || (values.rank === 1 && values.size === 1);
    if (!okRank) {
      throw new Error(
        `${metric}: ${what} must be a ${rank === 1 ? "1-D" : "scalar"} tensor, got shape [${values.shape}]` +
          (values.rank === 2 ? "; take the class with logits.argMax(-1) first." : "."),
      );
    }
    if (values.dtype === "string" || values.dtype === "complex64") {
      throw new Error(`${metric}: ${what} has dtype ${values.dtype}; expected int32 (class ids).`);
    }
    data = values.dataSync() as ArrayLike<number>;
  } else {
    data = values;
  }
  const out = Array.from(data, Number);
  out.forEach((v, i) => {
    if (!Number.isInteger(v)) {
      throw new Error(`${metric}: ${what}[${i}] is ${v}; expected integer class ids (argMax of the logits, the labels).`);
    }
  });
  return out;
}
