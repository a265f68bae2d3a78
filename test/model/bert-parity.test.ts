// The BERT port against PyTorch (transformers 4.31): the reference checkpoint loaded from model.safetensors
// and from pytorch_model.bin, on cpu and wasm. Eval mode: logits, loss, pooler output and every hidden state.
// Train mode with dropout 0: loss and the gradients of step 1 (five tensors in full; sum, abs-sum and first
// values of all 41), the padding row of the word embedding exactly 0. DESIGN.md §6 tolerances; gradients by
// the rule or its float64 clause.
import * as tf from "@tensorflow/tfjs-core";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/backend";
import { AutoModelForSequenceClassification } from "../../src/models/auto";
import { backward, noGrad } from "../../src/nn";
import { RTOL, closeOrF64, expectClose, expectSumClose, type Nested } from "../helpers/close";
import { readF64 } from "../helpers/f64-reference";
import { TINY_CHECKPOINT, readReference } from "../helpers/shared";
import { referenceBatch } from "../helpers/reference-batch";

type GradStat = { sum: number; abs_sum: number; first: number[] };
type Reference = {
  parameter_names_in_order: string[];
  batch: { input_ids: number[][]; attention_mask: number[][]; token_type_ids: number[][]; labels: number[] };
  eval: { logits: Nested; loss: number; pooler_output: Nested; hidden_states: Nested[] };
  train: Record<string, { steps: { loss_before_update: number; logits_before_update: Nested; grads: Record<string, Nested>; grad_stats: Record<string, GradStat> }[] }>;
};

const ref = readReference<Reference>("tiny-v128-h32/reference.json");
const step1 = ref.train["weight_decay=0.0"]!.steps[0]!;

// A copy of the checkpoint without model.safetensors, so that pytorch_model.bin is what gets read.
const binOnly = mkdtempSync(join(tmpdir(), "kit-bert-bin-"));
for (const f of ["config.json", "pytorch_model.bin"]) copyFileSync(join(TINY_CHECKPOINT, f), join(binOnly, f));
afterAll(() => rmSync(binOnly, { recursive: true, force: true }));

const SOURCES = [
  { label: "model.safetensors", dir: TINY_CHECKPOINT, file: "model.safetensors" },
  { label: "pytorch_model.bin", dir: binOnly, file: "pytorch_model.bin" },
];


const quiet = { logger: () => {} };

// classifier.weight's gradient sums (softmax - onehot)/4 x pooled over 4 examples whose pooled outputs are
// nearly identical (a random-init model): the terms cancel ~360-fold, so float32 rounding noise of ~3e-7 in
// the pooled output becomes ~1e-4 relative in some elements. PyTorch's own value carries that noise (our cpu
// backend, which accumulates in float64, lands 9.9e-5 from it); wasm, accumulating in float32 with other
// rounding, landed 1.3e-4-1.7e-4 from it on one element. So the gradients recorded in full are checked by
// DESIGN.md §6's rule or its float64 clause (f64/grads_step1_wd0.0), and the test prints which.
const byF64: string[] = [];
afterAll(() => console.log(`step-1 gradients passed by the float64 clause (all others by the rule):\n  ${byF64.join("\n  ") || "none"}`));

for (const backend of ["cpu", "wasm"] as const) {
  for (const source of SOURCES) {
    describe(`BERT vs transformers on ${backend}, weights from ${source.label}`, () => {
      it("names the parameters as PyTorch's named_parameters(), in order", async () => {
        await useBackend(backend);
        const model = await AutoModelForSequenceClassification.fromPretrained(source.dir, quiet);
        expect(model.loadingInfo!.source.endsWith(source.file)).toBe(true);
        expect(model.loadingInfo!.missingKeys).toEqual([]);
        expect(model.loadingInfo!.unexpectedKeys).toEqual([]);
        expect(model.namedParameters().map(([n]) => n)).toEqual(ref.parameter_names_in_order);
        expect(model.parameters().map((p) => p.name)).toEqual(ref.parameter_names_in_order);
        model.dispose();
      });

      it("eval mode: logits, loss, pooler output and every hidden state are close", async () => {
        await useBackend(backend);
        const model = await AutoModelForSequenceClassification.fromPretrained(source.dir, quiet);
        expect(model.training).toBe(false);
        const batch = referenceBatch();
        const before = tf.memory().numTensors;
        const out = noGrad(() => model.forward(batch, { outputHiddenStates: true }));
        expectClose("logits", out.logits.dataSync(), ref.eval.logits, RTOL.logits);
        expectClose("loss", out.loss!.dataSync(), [ref.eval.loss], RTOL.loss);
        expectClose("pooler_output", out.poolerOutput!.dataSync(), ref.eval.pooler_output, RTOL.hidden);
        expect(out.hiddenStates!.length).toBe(ref.eval.hidden_states.length);
        out.hiddenStates!.forEach((h, i) => expectClose(`hidden_states[${i}]`, h.dataSync(), ref.eval.hidden_states[i]!, RTOL.hidden));
        // noGrad frees everything but what it returns.
        const returned = 3 + out.hiddenStates!.length;
        expect(tf.memory().numTensors - before).toBe(returned);
        tf.dispose(out);
        tf.dispose(batch);
        model.dispose();
      });

      it("train mode, dropout 0: loss and the gradients of step 1 are close (five in full by the rule or the float64 clause)", async () => {
        await useBackend(backend);
        const model = await AutoModelForSequenceClassification.fromPretrained(source.dir, {
          ...quiet,
          hiddenDropoutProb: 0,
          attentionProbsDropoutProb: 0,
        });
        model.train();
        const batch = referenceBatch();
        const before = tf.memory().numTensors;
        const loss = backward(() => model.forward(batch).loss!, model.parameters());
        // Only the 41 gradients are new.
        expect(tf.memory().numTensors - before).toBe(ref.parameter_names_in_order.length);
        expectClose("loss", [loss], [step1.loss_before_update], RTOL.loss);

        const grads = new Map(model.namedParameters().map(([n, p]) => [n, Array.from(p.grad!.dataSync())]));
        expect([...grads.keys()].sort()).toEqual(Object.keys(step1.grad_stats).sort());
        const f64 = await readF64("grads_step1_wd0.0");
        for (const [name, g] of Object.entries(step1.grads)) {
          const r = closeOrF64(grads.get(name)!, g, f64.tensors.get(name)!, f64.torchErr(name), "grads");
          expect(r.ok, `grad ${name}: ${r.message}`).toBe(true);
          if (r.clause === "f64") byF64.push(`${backend}, ${source.label}: grad ${name}`);
        }
        for (const [name, stat] of Object.entries(step1.grad_stats)) {
          const ours = grads.get(name)!;
          const sum = ours.reduce((s, v) => s + v, 0);
          const absSum = ours.reduce((s, v) => s + Math.abs(v), 0);
          if (stat.abs_sum < 1e-9) {
            // Mathematically zero (the key bias cancels in the softmax): rounding noise on both sides.
            expect(absSum, `grad ${name}: reference is zero (abs-sum ${stat.abs_sum}), ours ${absSum}`).toBeLessThan(1e-9);
            continue;
          }
          expectSumClose(`grad ${name}`, sum, stat.sum, stat.abs_sum);
          expect(Math.abs(absSum - stat.abs_sum), `grad ${name} abs-sum ${absSum} vs ${stat.abs_sum}`).toBeLessThanOrEqual(RTOL.grads * stat.abs_sum);
          expectClose(`grad ${name} (first values)`, ours.slice(0, stat.first.length), stat.first, RTOL.grads);
        }
        // padding_idx = 0: its row never receives a gradient.
        const hidden = model.config.hiddenSize;
        const wordGrad = grads.get("bert.embeddings.word_embeddings.weight")!;
        expect(wordGrad.slice(0, hidden).every((v) => v === 0)).toBe(true);
        model.zeroGrad();
        tf.dispose(batch);
        model.dispose();
      });

    });
  }
}
