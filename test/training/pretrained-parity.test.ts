// Three training steps of the pretrained checkpoint (sentence-transformers/all-MiniLM-L6-v2, the shared head)
// against PyTorch 2.13 / transformers 4.49 (bench/python/reference.py), on wasm: train mode with dropout 0,
// the course's legacy transformers.AdamW(model.parameters(), lr=5e-5), linear schedule over 1377 steps,
// one real MRPC train batch per step. Checked by DESIGN.md §6: loss, logits and lr before each update (the
// rule); every step's gradients and the parameters after every update — the classifier in full, all 104
// tensors by sum / abs-sum / first values — by the rule or, where float32 cannot reproduce PyTorch's value,
// by the float64 clause. The clause each tensor passed by is printed.
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/backend";
import { AutoModelForSequenceClassification } from "../../src/models/auto";
import { backward } from "../../src/nn";
import { loadClassifierHead } from "../../src/training/classifier-head";
import { RTOL } from "../helpers/close";
import { PRETRAINED_HEAD, checkFull, checkStats, pretrainedRef, toBatch, type Clause } from "../helpers/pretrained-reference";
import { buildOptimizer, type TrainFixture } from "./fixtures";

type StepRecord = {
  lrUsed: number;
  lrAfter: number;
  loss: number;
  logits: Float32Array;
  grads: Map<string, Float32Array>;
  params: Map<string, Float32Array>;
};

const steps: StepRecord[] = [];
let tensorsGrown = NaN;
const byF64 = new Map<string, string[]>();
function tally(kind: string, name: string, clause: Clause): void {
  if (clause !== "f64") return;
  byF64.set(kind, [...(byF64.get(kind) ?? []), name]);
}
afterAll(() => {
  const lines = ["gradients", "parameters"].map((k) => `  ${k}: ${byF64.get(k)?.join(", ") ?? "none"}`);
  console.log(`passed by the float64 clause (all others by the rule):\n${lines.join("\n")}`);
});

beforeAll(async () => {
  await useBackend("wasm");
  const model = await AutoModelForSequenceClassification.fromPretrained(pretrainedRef.checkpoint, {
    logger: () => {},
    numLabels: 2,
    hiddenDropoutProb: 0,
    attentionProbsDropoutProb: 0,
  });
  await loadClassifierHead(model, PRETRAINED_HEAD);
  model.train();
  const fixture = { optimizer: pretrainedRef.optimizer, scheduler: pretrainedRef.scheduler } as TrainFixture;
  const { optimizer, scheduler } = buildOptimizer(fixture, model.parameters());
  const snapshot = (get: (p: ReturnType<typeof model.parameters>[number]) => tf.Tensor): Map<string, Float32Array> =>
    new Map(model.namedParameters().map(([n, p]) => [n, get(p).dataSync().slice() as Float32Array]));
  let before = NaN;
  for (const ref of pretrainedRef.train) {
    const batch = toBatch(ref.batch);
    const lrUsed = optimizer.paramGroups[0]!.lr;
    let logits: Float32Array = new Float32Array();
    const loss = backward(() => {
      const out = model.forward(batch);
      logits = out.logits.dataSync().slice() as Float32Array;
      return out.loss!;
    }, model.parameters());
    const grads = snapshot((p) => p.grad!);
    optimizer.step();
    scheduler.step();
    optimizer.zeroGrad();
    tf.dispose(Object.values(batch));
    // The optimizer's moments appear at step 1; from then on a step must leave the count unchanged.
    if (ref.step === 1) before = tf.memory().numTensors;
    else tensorsGrown = tf.memory().numTensors - before;
    steps.push({ lrUsed, lrAfter: scheduler.getLastLr()[0]!, loss, logits, grads, params: snapshot((p) => p.variable) });
  }
  optimizer.dispose();
  model.dispose();
}, 300_000);

describe(`${pretrainedRef.checkpoint}: 3 training steps vs PyTorch (wasm, legacy AdamW, dropout 0)`, () => {
  it("records 3 steps with dropout 0 and leaves no tensor behind", () => {
    expect(pretrainedRef.train.map((s) => s.step)).toEqual([1, 2, 3]);
    expect(pretrainedRef.train_note).toContain("hidden_dropout_prob=0.0");
    expect(steps.length).toBe(3);
    expect(tensorsGrown).toBe(0);
  });

  pretrainedRef.train.forEach((ref, k) => {
    describe(`step ${ref.step} (train rows ${ref.rows[0]}-${ref.rows.at(-1)})`, () => {
      it("learning rate used and after the scheduler step", () => {
        expect(Math.abs(steps[k]!.lrUsed - ref.lr_used)).toBeLessThanOrEqual(1e-12 * ref.lr_used);
        expect(Math.abs(steps[k]!.lrAfter - ref.lr_after_scheduler_step)).toBeLessThanOrEqual(1e-12 * ref.lr_after_scheduler_step);
      });

      it("loss and logits before the update (the rule)", () => {
        checkFull(`loss before update ${ref.step}`, [steps[k]!.loss], ref.loss_before_update, RTOL.loss, false);
        checkFull(`logits before update ${ref.step}`, steps[k]!.logits, ref.logits_before_update, RTOL.logits, false);
      });

      it("gradients: the classifier in full, all tensors by sum / abs-sum / first values", () => {
        const grads = steps[k]!.grads;
        expect([...grads.keys()]).toEqual(pretrainedRef.parameter_names_in_order);
        for (const [name, g] of Object.entries(ref.grads)) tally("gradients", `${name} (full) @${ref.step}`, checkFull(`grad ${name}`, grads.get(name)!, g, RTOL.grads, true));
        for (const [name, s] of Object.entries(ref.grad_stats)) tally("gradients", `${name} @${ref.step}`, checkStats(`grad ${name}`, grads.get(name)!, s, RTOL.grads, true));
      });

      it("parameters after the update: the classifier in full, all tensors by sum / abs-sum / first values", () => {
        const params = steps[k]!.params;
        for (const [name, p] of Object.entries(ref.params_after_update)) tally("parameters", `${name} (full) @${ref.step}`, checkFull(`${name} after step ${ref.step}`, params.get(name)!, p, RTOL.params, true));
        for (const [name, s] of Object.entries(ref.param_stats_after_update)) tally("parameters", `${name} @${ref.step}`, checkStats(`${name} after step ${ref.step}`, params.get(name)!, s, RTOL.params, true));
      });
    });
  });
});
