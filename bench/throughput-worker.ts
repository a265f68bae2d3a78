// One rank of measureAccelerateThroughput (bench/throughput.ts), started by launchProcesses with
// KIT_THROUGHPUT_OPTIONS. Rank 0 writes the timings to options.outFile.
import { renameSync, writeFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { useBackend, wasmThreadsCount } from "../src/backend/device";
import type { BertBatch } from "../src/models/bert";
import { BertConfig } from "../src/models/bert/config";
import { fromConfig } from "../src/models/bert/pretrained";
import { backward } from "../src/nn/autograd";
import { AdamW } from "../src/optim/adamw";
import { Generator } from "../src/utils/random";
import { Accelerator } from "../src/accelerate/accelerator";
import type { ThroughputRun, ThroughputWorkerOptions } from "./throughput";

const raw = process.env.KIT_THROUGHPUT_OPTIONS;
if (!raw) throw new Error("throughput-worker: KIT_THROUGHPUT_OPTIONS is not set; run it through measureAccelerateThroughput()");
const o = JSON.parse(raw) as ThroughputWorkerOptions;
const VOCAB_SIZE = 30522;

await useBackend(o.backend);
const accelerator = new Accelerator({ sparseEmbeddingGradients: o.sparseEmbeddingGradients });
const config = new BertConfig({ vocabSize: VOCAB_SIZE, ...o.shape, hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1, numLabels: 2 });
const model0 = fromConfig(config, { seed: 0 });
const [model, optimizer] = await accelerator.prepare(model0, new AdamW(model0.parameters(), { lr: 5e-5 }));
const params = model.parameters();
model.train();

/** A different batch per rank and step, so that each rank uses its own embedding rows, as real data does. */
function batchFor(step: number): BertBatch {
  const g = new Generator(`throughput-${accelerator.processIndex}-${step}`);
  const n = o.batchSize * o.seqLength;
  // Ids from 1000 up: clear of [PAD] and the special tokens.
  const ids = Int32Array.from({ length: n }, () => 1000 + g.randint(VOCAB_SIZE - 1000));
  const types = Int32Array.from({ length: n }, (_, i) => (i % o.seqLength >= o.seqLength / 2 ? 1 : 0));
  return {
    input_ids: tf.tensor2d(ids, [o.batchSize, o.seqLength], "int32"),
    token_type_ids: tf.tensor2d(types, [o.batchSize, o.seqLength], "int32"),
    attention_mask: tf.ones([o.batchSize, o.seqLength], "int32"),
    labels: tf.tensor1d(Int32Array.from({ length: o.batchSize }, () => g.randint(2)), "int32"),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const times = { backward: [] as number[], sync: [] as number[], optimizer: [] as number[], syncCpu: [] as number[] };
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
const losses: number[] = [];
let tensorsAfterFirstStep = 0;
let started = 0;
let cpuStarted = process.cpuUsage();
for (let i = 0; i < o.warmup + o.steps; i++) {
  if (i === o.warmup) {
    await accelerator.waitForEveryone();
    started = performance.now();
    cpuStarted = process.cpuUsage();
  }
  const batch = batchFor(i);
  // accelerator.backward(lossFn) is exactly these two calls; split to time the exchange on its own.
  const t0 = performance.now();
  const loss = backward(() => model.forward(batch).loss!, params);
  const t1 = performance.now();
  let syncCpu = 0;
  if (accelerator.numProcesses > 1) {
    const c1 = process.cpuUsage();
    await accelerator.syncGradients(params);
    syncCpu = cpuMs(process.cpuUsage(c1));
  }
  const t2 = performance.now();
  optimizer.step();
  optimizer.zeroGrad();
  const t3 = performance.now();
  tf.dispose(Object.values(batch));
  if (i >= o.warmup) {
    times.backward.push(t1 - t0);
    times.sync.push(t2 - t1);
    times.optimizer.push(t3 - t2);
    times.syncCpu.push(syncCpu);
    losses.push(loss);
    if (i === o.warmup) tensorsAfterFirstStep = tf.memory().numTensors;
  }
}
const cpu = cpuMs(process.cpuUsage(cpuStarted));
await accelerator.waitForEveryone();
const seconds = (performance.now() - started) / 1000;

if (accelerator.isMainProcess) {
  const run: ThroughputRun = {
    numProcesses: accelerator.numProcesses,
    wasmThreads: o.backend === "wasm" ? wasmThreadsCount() : 1,
    examplesPerSecond: (o.steps * o.batchSize * accelerator.numProcesses) / seconds,
    stepMs: (seconds * 1000) / o.steps,
    backwardMs: median(times.backward),
    syncMs: median(times.sync),
    optimizerMs: median(times.optimizer),
    cpuMsPerStep: cpu / o.steps,
    syncCpuMs: median(times.syncCpu),
    firstLoss: losses[0]!,
    lastLoss: losses[losses.length - 1]!,
    tensorsAfterFirstStep,
    tensorsAfterLastStep: tf.memory().numTensors,
    exchange: (await accelerator.processGroup()).describeExchange(),
  };
  writeFileSync(`${o.outFile}.tmp`, JSON.stringify(run));
  renameSync(`${o.outFile}.tmp`, o.outFile);
}
optimizer.dispose();
model.dispose();
await accelerator.endTraining();
// The wasm backend keeps handles open.
process.exit(0);
