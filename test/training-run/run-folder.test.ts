// What a finished `kit train` leaves in its folder (model, tokenizer, run record) and `kit evaluate` reading
// it back; and the loop's tensor hygiene: no tensor survives a step.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, expect, it } from "vitest";
import { readReference } from "../helpers/shared";
import type { RunRecord } from "../../src/training/run-record";
import { evaluateRun, train } from "../../src/training/train";

const root = mkdtempSync(join(tmpdir(), "kit-run-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const validation = readReference<{ splits: Record<string, { label_counts: Record<string, number> }> }>("mrpc-tokenized.json").splits.validation!;

it("a short run saves model, tokenizer and a run record that kit evaluate reproduces; tensors do not pile up", async () => {
  const dir = join(root, "run");
  const tensorsAfter: number[] = [];
  const { record, metrics } = await train({
    maxSteps: 8,
    optim: "adamw_torch",
    seed: 7,
    outputDir: dir,
    quiet: true,
    onStepEnd: () => tensorsAfter.push(tf.memory().numTensors),
  });
  // The optimizer creates its moment variables on step 1; from then on every step frees what it makes.
  expect(new Set(tensorsAfter.slice(1)).size).toBe(1);

  for (const f of ["config.json", "model.safetensors", "tokenizer.json", "vocab.txt", "tokenizer_config.json", "run-record.json"]) {
    expect(existsSync(join(dir, f))).toBe(true);
  }
  const saved = JSON.parse(readFileSync(join(dir, "run-record.json"), "utf8")) as RunRecord;
  expect(saved).toEqual(record);
  expect(saved.status).toBe("completed");
  expect(saved.hyperparameters).toMatchObject({ optim: "adamw_torch", seed: 7, maxSteps: 8, preset: "tiny" });
  expect(saved.steps.loss).toHaveLength(8);
  expect(saved.steps.lr[0]).toBe(5e-5);
  expect(saved.evaluation!.references.filter((r) => r === 1)).toHaveLength(validation.label_counts["1"]!);
  const c = saved.evaluation!.confusion;
  expect(c.truePositive + c.falseNegative).toBe(validation.label_counts["1"]);
  expect(c.falsePositive + c.trueNegative).toBe(validation.label_counts["0"]);
  expect(saved.timing!.wallSeconds).toBeGreaterThan(0);
  expect(saved.backend).toBe("wasm");

  const evaluated = await evaluateRun(dir, { quiet: true });
  expect(evaluated.metrics).toEqual(metrics);
  expect(evaluated.recorded).toEqual(metrics);
});
