// The kit's side of the paired run (bench/python/course.py): the exported batch order is the order the
// DataLoader really iterates; --dropout 0 makes train mode deterministic and equal to eval mode, as
// transformers' config overrides do; --init-head loads exactly the head in the file and refuses others;
// and `kit train` wires the three through (a 2-step tiny run).
import * as tf from "@tensorflow/tfjs-core";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/backend";
import { DataLoader } from "../../src/data";
import { AutoModelForSequenceClassification } from "../../src/models/auto";
import { BertConfig } from "../../src/models/bert";
import { noGrad } from "../../src/nn";
import { readSafetensors, writeSafetensors, type HostTensor } from "../../src/utils/safetensors";
import { loadClassifierHead } from "../../src/training/classifier-head";
import { batchOrder, setDropout, type BatchOrder } from "../../src/training/paired-run";
import { train } from "../../src/training/train";
import { TrainingInterruptedError } from "../../src/training/training-run";
import { referenceBatch } from "../helpers/reference-batch";
import { TINY_CHECKPOINT } from "../helpers/shared";

const work = mkdtempSync(join(tmpdir(), "kit-paired-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeAll(async () => {
  await useBackend("wasm");
});

const tinyModel = () => AutoModelForSequenceClassification.fromPretrained(TINY_CHECKPOINT, { logger: () => {} });

function head(hidden: number, seed: number): Record<string, HostTensor> {
  const w = Float32Array.from({ length: 2 * hidden }, (_, i) => Math.sin(seed + i) * 0.02);
  return {
    "classifier.weight": { dtype: "F32", shape: [2, hidden], data: w },
    "classifier.bias": { dtype: "F32", shape: [2], data: Float32Array.from([0.01 * seed, -0.02]) },
  };
}

describe("batch order", () => {
  it("is, epoch by epoch, the row order the shuffled DataLoader iterates", () => {
    const rows = Array.from({ length: 21 }, (_, i) => ({ i }));
    const loader = new DataLoader(rows, { batchSize: 4, shuffle: true, seed: 3, collateFn: (rs: { i: number }[]) => rs.map((r) => r.i) });
    const order = batchOrder(loader, 2, { dataset: { path: "glue", name: "mrpc" }, seed: 3, batchSize: 4 });
    const iterated = [[...loader], [...loader]];
    expect(order.epochs).toEqual(iterated);
    expect(order.epochs[0]).not.toEqual(order.epochs[1]);
    for (const epoch of order.epochs) expect(epoch.flat().sort((a, b) => a - b)).toEqual(rows.map((r) => r.i));
    expect(order).toMatchObject({ dataset: "glue/mrpc", split: "train", seed: 3, batchSize: 4 });
  });
});

describe("setDropout", () => {
  it("0: train mode gives eval mode's logits; the default 0.1 does not", async () => {
    const batch = referenceBatch();
    const logits = (m: Awaited<ReturnType<typeof tinyModel>>) => noGrad(() => m.forward(batch).logits.arraySync());
    const model = await tinyModel();
    const evalLogits = logits(model.eval());
    expect(logits(model.train())).not.toEqual(evalLogits);
    setDropout(model, 0);
    expect(logits(model.train())).toEqual(evalLogits);
    expect(model.config.hiddenDropoutProb).toBe(0);
    expect(model.config.attentionProbsDropoutProb).toBe(0);
    expect(() => setDropout(model, 1)).toThrow(/--dropout must be in \[0, 1\)/);
    model.dispose();
    tf.dispose(Object.values(batch));
  });
});

describe("loadClassifierHead", () => {
  it("loads the file's head and leaves the encoder as it was", async () => {
    const path = join(work, "head.safetensors");
    const h = head(32, 1);
    await writeSafetensors(path, h);
    const model = await tinyModel();
    const before = model.stateDict().get("bert.pooler.dense.weight")!.arraySync();
    await loadClassifierHead(model, path);
    const state = model.stateDict();
    expect(Array.from(state.get("classifier.weight")!.dataSync())).toEqual(Array.from(h["classifier.weight"]!.data as Float32Array));
    expect(Array.from(state.get("classifier.bias")!.dataSync())).toEqual(Array.from(h["classifier.bias"]!.data as Float32Array));
    expect(state.get("bert.pooler.dense.weight")!.arraySync()).toEqual(before);
    model.dispose();
  });

  it("refuses a file with other tensors, or a head of another hidden size, naming the file", async () => {
    const extra = join(work, "extra.safetensors");
    await writeSafetensors(extra, { ...head(32, 1), "bert.pooler.dense.bias": { dtype: "F32", shape: [32], data: new Float32Array(32) } });
    const wrong = join(work, "wrong.safetensors");
    await writeSafetensors(wrong, head(384, 1));
    const model = await tinyModel();
    await expect(loadClassifierHead(model, extra)).rejects.toThrow(/extra\.safetensors: holds .*expected exactly \[classifier\.bias, classifier\.weight\]/);
    await expect(loadClassifierHead(model, wrong)).rejects.toThrow(/wrong\.safetensors: classifier\.(weight|bias) has shape/);
    await expect(loadClassifierHead(model, join(work, "missing.safetensors"))).rejects.toThrow(/missing\.safetensors: cannot read it/);
    model.dispose();
  });
});

describe("kit train with the paired-run options", () => {
  it("writes the batch order it trains on, starts from the head, saves a config with dropout 0", async () => {
    const dir = join(work, "run");
    const orderFile = join(work, "order.json");
    const headFile = join(work, "head128.safetensors");
    await writeSafetensors(headFile, head(128, 2));
    const { record } = await train({ maxSteps: 2, seed: 5, outputDir: dir, quiet: true, evaluate: false, dropout: 0, initHead: headFile, exportBatchOrder: orderFile });
    const order = JSON.parse(readFileSync(orderFile, "utf8")) as BatchOrder;
    expect(order).toMatchObject({ dataset: "glue/mrpc", split: "train", seed: 5, batchSize: 8 });
    expect(order.epochs).toHaveLength(1); // 2 steps fit in one epoch
    expect(order.epochs[0]).toHaveLength(459);
    expect(order.epochs[0]!.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 3668 }, (_, i) => i));
    expect(record.steps.loss).toHaveLength(2);
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
    expect(config.hidden_dropout_prob).toBe(0);
    expect(config.attention_probs_dropout_prob).toBe(0);
    // Two small steps from the file's head: it moved, but by at most 2 * lr per element (Adam's step bound).
    const saved = (await readSafetensors(join(dir, "model.safetensors"))).tensors.get("classifier.weight")!.data as Float32Array;
    const start = head(128, 2)["classifier.weight"]!.data as Float32Array;
    const moved = saved.map((v, i) => Math.abs(v - start[i]!));
    expect(Math.max(...moved)).toBeGreaterThan(0);
    expect(Math.max(...moved)).toBeLessThanOrEqual(2 * 5e-5 * 1.01);
    expect(existsSync(join(dir, "run-record.json"))).toBe(true);
    expect(record.pairedRun).toEqual({ dropout: 0, initHead: headFile, batchOrderFile: orderFile });
  });

  it("a paired run resumed after an interruption keeps dropout 0 (the same losses as straight through)", async () => {
    const common = { maxSteps: 4, seed: 9, quiet: true, evaluate: false, dropout: 0 };
    const straight = await train({ ...common, outputDir: join(work, "straight") });
    const dir = join(work, "interrupted");
    const err = await train({ ...common, outputDir: dir, onStepEnd: (step, run) => step === 2 && run.requestStop("SIGINT") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingInterruptedError);
    const resumed = await train({ resume: dir, quiet: true, evaluate: false });
    expect(resumed.record.resumedAt).toEqual([2]);
    expect(resumed.record.pairedRun?.dropout).toBe(0);
    expect(resumed.record.steps.loss).toEqual(straight.record.steps.loss);
  });
});
