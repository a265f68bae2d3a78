// evaluate-like metrics against metrics-mrpc.json (evaluate's glue/mrpc with sklearn 1.2.1), exactly.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluate } from "../../src/metrics";
import { readReference } from "../helpers/shared";

type Case = { predictions: number[]; references: number[]; accuracy: number; f1: number };
const ref = readReference<{ cases: Record<string, Case> }>("metrics-mrpc.json");
const cases = Object.entries(ref.cases);

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("glue/mrpc equals evaluate + sklearn on every reference case", () => {
  it("the fixture includes the F1 = 0 edge cases", () => {
    expect(ref.cases.no_positive_labels_no_positive_preds!.f1).toBe(0);
    expect(ref.cases.predict_all_zero!.f1).toBe(0);
    expect(cases.length).toBeGreaterThanOrEqual(8);
  });

  for (const [name, c] of cases) {
    it(`${name}: one addBatch of number[]`, () => {
      const metric = evaluate.load("glue", "mrpc");
      metric.addBatch({ predictions: c.predictions, references: c.references });
      expect(metric.compute()).toEqual({ accuracy: c.accuracy, f1: c.f1 });
    });

    it(`${name}: batches of 8 as int32 tensors (the course's loop), tensors left alive`, () => {
      const metric = evaluate.load("glue", "mrpc");
      for (let i = 0; i < c.predictions.length; i += 8) {
        const predictions = tf.tensor1d(c.predictions.slice(i, i + 8), "int32");
        const references = tf.tensor1d(c.references.slice(i, i + 8), "int32");
        metric.addBatch({ predictions, references });
        expect(predictions.isDisposed || references.isDisposed).toBe(false);
        predictions.dispose();
        references.dispose();
      }
      expect(metric.compute()).toEqual({ accuracy: c.accuracy, f1: c.f1 });
    });

    it(`${name}: add() one example at a time; accuracy and f1 metrics alone`, () => {
      const metric = evaluate.load("glue", "mrpc");
      c.predictions.forEach((p, i) => metric.add({ prediction: p, reference: c.references[i]! }));
      expect(metric.compute()).toEqual({ accuracy: c.accuracy, f1: c.f1 });
      const acc = evaluate.load("accuracy");
      const f1 = evaluate.load("f1");
      const sst2 = evaluate.load("glue", "sst2");
      expect(acc.compute({ predictions: c.predictions, references: c.references })).toEqual({ accuracy: c.accuracy });
      expect(sst2.compute({ predictions: c.predictions, references: c.references })).toEqual({ accuracy: c.accuracy });
      expect(f1.compute({ predictions: c.predictions, references: c.references })).toEqual({ f1: c.f1 });
    });
  }

  it("argMax of logits (an int32 tensor) feeds it directly", () => {
    const c = ref.cases.course_like!;
    const logits = tf.tensor2d(c.predictions.map((p) => (p === 1 ? [-1, 2] : [3, 0.5])));
    const predictions = tf.argMax(logits, -1); // logits.argMax needs tfjs-core's chained ops registered
    const metric = evaluate.load("glue", "mrpc");
    metric.addBatch({ predictions, references: Int32Array.from(c.references) });
    expect(metric.compute()).toEqual({ accuracy: c.accuracy, f1: c.f1 });
    tf.dispose([logits, predictions]);
  });
});

describe("metric contract", () => {
  it("compute() resets, as evaluate does", () => {
    const [a, b] = [ref.cases.all_correct!, ref.cases.all_wrong!];
    const metric = evaluate.load("glue", "mrpc");
    metric.addBatch({ predictions: a.predictions, references: a.references });
    expect(metric.compute()).toEqual({ accuracy: 1, f1: 1 });
    expect(metric.size).toBe(0);
    metric.addBatch({ predictions: b.predictions, references: b.references });
    expect(metric.compute()).toEqual({ accuracy: b.accuracy, f1: b.f1 });
  });

  it("errors: mismatched lengths, empty compute, bad values, unknown names", () => {
    const metric = evaluate.load("glue", "mrpc");
    expect(() => metric.addBatch({ predictions: [1, 0], references: [1] })).toThrow(/number of predictions \(2\) and references \(1\)/);
    expect(() => metric.compute()).toThrow(/call add\(\) or addBatch\(\) at least once/);
    expect(() => metric.addBatch({ predictions: [0.5], references: [1] })).toThrow(/predictions\[0\] is 0.5/);
    const logits = tf.zeros([2, 2]);
    expect(() => metric.addBatch({ predictions: logits, references: [0, 1] })).toThrow(/shape \[2,2\].*argMax/);
    logits.dispose();
    expect(() => evaluate.load("f1").compute({ predictions: [0, 1, 2], references: [0, 1, 2] })).toThrow(/multiclass/);
    expect(() => evaluate.load("glue", "mrpcc")).toThrow(/configuration name selected in .*"mrpc"/);
    expect(() => evaluate.load("glue")).toThrow(/configuration name/);
    expect(() => evaluate.load("glue", "cola")).toThrow(/implements only mrpc, sst2/);
    expect(() => evaluate.load("bleu")).toThrow(/unknown metric "bleu"; available: glue, accuracy, f1/);
    expect(() => evaluate.load("accuracy", "mrpc")).toThrow(/takes no configuration name/);
  });
});
