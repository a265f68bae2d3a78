// The training fixtures of tiny-v128-h32/reference.json, and the optimizer + scheduler they record, built
// from the recorded Python call strings (so the test uses exactly the reference's hyperparameters and fails
// if a fixture changes to one we do not parse).
import * as tf from "@tensorflow/tfjs-core";
import { AutoModelForSequenceClassification } from "../../src/models/auto";
import { backward, noGrad } from "../../src/nn";
import type { Parameter } from "../../src/nn/parameter";
import { AdamW, LegacyAdamW, getScheduler, type LambdaLR, type Optimizer } from "../../src/optim";
import { join } from "node:path";
import { readSafetensors } from "../../src/utils/safetensors";
import { closeReport, type Nested } from "../helpers/close";
import { TINY_CHECKPOINT, TINY_REF_DIR, readReference } from "../helpers/shared";
import { referenceBatch } from "../helpers/reference-batch";

export { referenceBatch };

export type Stat = { sum: number; abs_sum: number; first: number[] };
export type TrainStep = {
  step: number;
  lr_used: number;
  loss_before_update: number;
  logits_before_update: Nested;
  grads?: Record<string, Nested>;
  grad_stats?: Record<string, Stat>;
  lr_after_scheduler_step: number;
  params_after_update: Record<string, Nested>;
  param_stats_after_update: Record<string, Stat>;
  state_file?: string;
};
export type TrainFixture = { optimizer: string; scheduler: string; steps: TrainStep[]; loss_after_all_steps: number; logits_after_all_steps: Nested };
export type TinyReference = {
  parameter_names_in_order: string[];
  batch: { input_ids: number[][]; attention_mask: number[][]; token_type_ids: number[][]; labels: number[] };
  train_note: string;
  train: Record<string, TrainFixture>;
};

export const tinyRef = readReference<TinyReference>("tiny-v128-h32/reference.json");


/** `name(k=v, k=(a, b), ...)` -> { name, kwargs } with Python literals as numbers / booleans / number pairs. */
export function parsePythonCall(call: string): { name: string; args: string[]; kwargs: Record<string, number | boolean | string | number[]> } {
  const m = /^([\w.]+)\((.*)\)$/.exec(call.trim());
  if (!m) throw new Error(`cannot parse the recorded call ${JSON.stringify(call)}; expected name(k=v, ...)`);
  const parts: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of m[2]!) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur.trim());
  const value = (s: string): number | boolean | string | number[] => {
    if (s === "True" || s === "False") return s === "True";
    if (s.startsWith("(")) return s.slice(1, -1).split(",").map((x) => Number(x.trim()));
    if (/^'.*'$/.test(s)) return s.slice(1, -1);
    const n = Number(s);
    if (Number.isNaN(n)) throw new Error(`cannot parse the literal ${JSON.stringify(s)} in ${JSON.stringify(call)}`);
    return n;
  };
  const args: string[] = [];
  const kwargs: Record<string, number | boolean | string | number[]> = {};
  for (const p of parts) {
    const eq = p.indexOf("=");
    if (eq < 0) args.push(String(value(p)));
    else kwargs[p.slice(0, eq).trim()] = value(p.slice(eq + 1).trim());
  }
  return { name: m[1]!, args, kwargs };
}

const KNOWN_OPTIMIZER_KWARGS = new Set(["lr", "betas", "eps", "weight_decay", "correct_bias"]);

/** The optimizer and scheduler a fixture records, over `params`. */
export function buildOptimizer(fixture: TrainFixture, params: Parameter[]): { optimizer: Optimizer; scheduler: LambdaLR } {
  const { name, kwargs } = parsePythonCall(fixture.optimizer);
  for (const k of Object.keys(kwargs)) {
    if (!KNOWN_OPTIMIZER_KWARGS.has(k)) throw new Error(`fixture optimizer ${fixture.optimizer}: unhandled argument ${k}`);
  }
  const betas = kwargs.betas as number[];
  const common = { lr: kwargs.lr as number, betas: [betas[0]!, betas[1]!] as [number, number], eps: kwargs.eps as number, weightDecay: kwargs.weight_decay as number };
  let optimizer: Optimizer;
  if (name === "torch.optim.AdamW") {
    if ("correct_bias" in kwargs) throw new Error(`torch.optim.AdamW has no correct_bias (${fixture.optimizer})`);
    optimizer = new AdamW(params, common);
  } else if (name === "transformers.AdamW") {
    optimizer = new LegacyAdamW(params, { ...common, correctBias: (kwargs.correct_bias as boolean | undefined) ?? true });
  } else throw new Error(`fixture optimizer ${fixture.optimizer}: unknown class ${name}`);
  const sched = parsePythonCall(fixture.scheduler);
  if (sched.name !== "get_scheduler" || sched.args.length !== 1) throw new Error(`cannot build the scheduler ${fixture.scheduler}`);
  const scheduler = getScheduler(sched.args[0]!, {
    optimizer,
    numWarmupSteps: sched.kwargs.num_warmup_steps as number,
    numTrainingSteps: sched.kwargs.num_training_steps as number,
  });
  return { optimizer, scheduler };
}

/** How much of the §6 tolerance the worst element uses (<= 1 passes), for reporting. */
export function toleranceUsed(a: ArrayLike<number>, b: Nested | ArrayLike<number>, rtol: number): number {
  const r = closeReport(a, b, rtol);
  if (r.index < 0) return r.ok ? 0 : Infinity;
  const allowed = Math.abs(r.a - r.b) - r.worst; // rtol*|b| + atol at the worst element
  return allowed > 0 ? Math.abs(r.a - r.b) / allowed : Infinity;
}

const NUM_STEPS = 3;
const quiet = { logger: () => {} };

export type Run = {
  lossBefore: number[];
  logitsBefore: Float32Array[];
  lrUsed: number[];
  lrAfter: number[];
  grads: Map<string, Float32Array>;
  /** paramsAfter[k] = every parameter after step k + 1. */
  paramsAfter: Map<string, Float32Array>[];
  lossAfterAll: number;
  logitsAfterAll: Float32Array;
  tensorsLeft: number;
};

/** The reference's loop, step for step; returns host copies of everything it records. */
export async function train(fixture: TrainFixture): Promise<Run> {
  const model = await AutoModelForSequenceClassification.fromPretrained(TINY_CHECKPOINT, {
    ...quiet,
    hiddenDropoutProb: 0,
    attentionProbsDropoutProb: 0,
  });
  model.train();
  const { optimizer, scheduler } = buildOptimizer(fixture, model.parameters());
  const batch = referenceBatch();
  const start = tf.memory().numTensors;
  const run: Run = { lossBefore: [], logitsBefore: [], lrUsed: [], lrAfter: [], grads: new Map(), paramsAfter: [], lossAfterAll: NaN, logitsAfterAll: new Float32Array(), tensorsLeft: -1 };
  const snapshot = (): Map<string, Float32Array> => new Map(model.namedParameters().map(([n, p]) => [n, p.variable.dataSync().slice() as Float32Array]));
  for (let step = 1; step <= NUM_STEPS; step++) {
    run.lrUsed.push(optimizer.paramGroups[0]!.lr);
    let logits: Float32Array = new Float32Array();
    const loss = backward(() => {
      const out = model.forward(batch);
      logits = out.logits.dataSync().slice() as Float32Array;
      return out.loss!;
    }, model.parameters());
    run.lossBefore.push(loss);
    run.logitsBefore.push(logits);
    if (step === 1) for (const [n, p] of model.namedParameters()) run.grads.set(n, p.grad!.dataSync().slice() as Float32Array);
    optimizer.step();
    scheduler.step();
    optimizer.zeroGrad();
    run.lrAfter.push(scheduler.getLastLr()[0]!);
    run.paramsAfter.push(snapshot());
  }
  const out = noGrad(() => model.forward(batch));
  run.lossAfterAll = out.loss!.dataSync()[0]!;
  run.logitsAfterAll = out.logits.dataSync().slice() as Float32Array;
  tf.dispose(out);
  // Only the optimizer's two moments per parameter remain.
  run.tensorsLeft = tf.memory().numTensors - start - 2 * model.parameters().length;
  optimizer.dispose();
  tf.dispose(batch);
  model.dispose();
  return run;
}


/** Parameters that the checkpoint holds at exactly zero (biases, LayerNorm biases): see parity.test.ts. */
export async function zeroInitialisedParameters(): Promise<Set<string>> {
  const { tensors } = await readSafetensors(join(TINY_CHECKPOINT, "model.safetensors"));
  return new Set([...tensors].filter(([, t]) => (t.data as Float32Array).every((v) => v === 0)).map(([n]) => n));
}
