// Moments kept on the host between steps (momentsPlacement "host", what "auto" picks for BERT-Base on wasm)
// must change nothing but where the bytes live: the same torch/transformers reference values at every step,
// the same bits as backend-resident moments, a state dict that moves between placements, and no tensors left.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { Parameter } from "../../src/nn/parameter";
import { Optimizer, createOptimizer, type MomentsPlacement } from "../../src/optim";
import { MOMENTS_ON_HOST_BYTES } from "../../src/optim/optimizer";
import { RTOL, expectClose } from "../helpers/close";
import { readReference } from "../helpers/shared";

type OptimCase = {
  kind: "torch" | "legacy";
  options: { lr: number; weight_decay: number; betas?: [number, number]; eps?: number; correct_bias?: boolean };
  params_after_each_step: number[][][];
};
const ref = readReference<{ p0: number[][]; grads: number[][][]; optimizers: OptimCase[] }>("optim-schedules.json");

function makeParam(name: string, value: number[][]): Parameter {
  const t = tf.tensor2d(value, undefined, "float32");
  const v = tf.variable(t, true, undefined, "float32");
  t.dispose();
  return new Parameter(name, v);
}

function optimizerFor(c: OptimCase, params: Parameter[], momentsPlacement: MomentsPlacement): Optimizer {
  const o = c.options;
  const common = { lr: o.lr, weightDecay: o.weight_decay, betas: o.betas, eps: o.eps, momentsPlacement };
  return c.kind === "torch"
    ? createOptimizer("adamw_torch", params, common)
    : createOptimizer("adamw_legacy", params, { ...common, correctBias: o.correct_bias });
}

function setGrad(p: Parameter, g: number[][]): void {
  p.zeroGrad();
  p.accumulateGrad(tf.tensor2d(g, undefined, "float32"));
}

/** Runs every reference step; returns the parameter after each step and the final state dict's moments. */
function run(c: OptimCase, placement: MomentsPlacement): { params: Float32Array[]; expAvg: Float32Array; expAvgSq: Float32Array } {
  const p = makeParam("p", ref.p0);
  const opt = optimizerFor(c, [p], placement);
  const params: Float32Array[] = [];
  for (const g of ref.grads) {
    setGrad(p, g);
    opt.step();
    opt.zeroGrad();
    params.push(Float32Array.from(p.variable.dataSync() as Float32Array));
  }
  const s = opt.stateDict().state[0]!;
  opt.dispose();
  p.dispose();
  return { params, expAvg: s.expAvg.data, expAvgSq: s.expAvgSq.data };
}

describe.each(["cpu", "wasm"])("moments on the host, %s backend", (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    await tf.ready();
  });

  // Chunks of 4 values split the [4,3] parameter into one row per chunk; 2**20 leaves it whole.
  for (const [ci, c] of ref.optimizers.entries()) for (const chunkValues of [4, 2 ** 20]) {
    it(`case ${ci} (${c.kind}), chunks of ${chunkValues} values: every step matches the reference and is bitwise equal to backend-resident moments`, () => {
      const saved = Optimizer.hostChunkValues;
      Optimizer.hostChunkValues = chunkValues;
      let host: ReturnType<typeof run>;
      try {
        host = run(c, "host");
      } finally {
        Optimizer.hostChunkValues = saved;
      }
      host.params.forEach((v, k) => expectClose(`${c.kind} case ${ci} step ${k + 1}`, v, c.params_after_each_step[k]!, RTOL.optim));
      const onBackend = run(c, "backend");
      host.params.forEach((v, k) => expect(Array.from(v), `step ${k + 1}`).toEqual(Array.from(onBackend.params[k]!)));
      expect(Array.from(host.expAvg)).toEqual(Array.from(onBackend.expAvg));
      expect(Array.from(host.expAvgSq)).toEqual(Array.from(onBackend.expAvgSq));
    });
  }

  it("a tensor sharing the weights' buffer keeps its values through a chunked update (no in-place write then)", () => {
    const c = ref.optimizers[0]!;
    const p = makeParam("p", ref.p0);
    const opt = optimizerFor(c, [p], "host");
    const saved = Optimizer.hostChunkValues;
    Optimizer.hostChunkValues = 4;
    try {
      for (const [k, g] of ref.grads.entries()) {
        // Reshape shares the buffer on both backends (reference count 2).
        const view = tf.reshape(p.variable, [12]);
        const before = Array.from(view.dataSync());
        setGrad(p, g);
        opt.step();
        expect(Array.from(view.dataSync()), `step ${k + 1}`).toEqual(before);
        view.dispose();
        expectClose(`step ${k + 1}`, p.variable.dataSync(), c.params_after_each_step[k]!, RTOL.optim);
      }
    } finally {
      Optimizer.hostChunkValues = saved;
    }
    opt.dispose();
    p.dispose();
  });

  it("no tensor is left behind by a step, and dispose frees none (the moments are not tensors)", () => {
    const params = [makeParam("a", ref.p0), makeParam("b", ref.p0)];
    const opt = createOptimizer("adamw_torch", params, { lr: 0.1, momentsPlacement: "host" });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      for (const p of params) setGrad(p, ref.grads[i % ref.grads.length]!);
      opt.step();
      opt.zeroGrad();
    }
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before);
    params.forEach((p) => p.dispose());
  });

  it("a state dict saved with moments on the host resumes on the backend (and back), bitwise", () => {
    const c = ref.optimizers[0]!;
    const straight = run(c, "backend");
    for (const [first, second] of [["host", "backend"], ["backend", "host"]] as const) {
      const p = makeParam("p", ref.p0);
      const a = optimizerFor(c, [p], first);
      for (const g of ref.grads.slice(0, 2)) {
        setGrad(p, g);
        a.step();
      }
      const saved = a.stateDict();
      a.dispose();
      const b = optimizerFor(c, [p], second);
      b.loadStateDict(saved);
      for (const g of ref.grads.slice(2)) {
        setGrad(p, g);
        b.step();
      }
      expect(Array.from(p.variable.dataSync()), `${first} -> ${second}`).toEqual(Array.from(straight.params.at(-1)!));
      b.dispose();
      p.dispose();
    }
  });

  it('"auto" keeps a small model\'s moments on the backend (2 tensors per parameter)', () => {
    expect(MOMENTS_ON_HOST_BYTES).toBeGreaterThan(8 * 12);
    const p = makeParam("p", ref.p0);
    const opt = createOptimizer("adamw_torch", [p]);
    setGrad(p, ref.grads[0]!);
    const before = tf.memory().numTensors;
    opt.step();
    expect(tf.memory().numTensors).toBe(before + 2);
    opt.dispose();
    p.dispose();
  });
});

it("an unknown placement is named", () => {
  const p = makeParam("p", ref.p0);
  expect(() => createOptimizer("adamw_torch", [p], { momentsPlacement: "gpu" as MomentsPlacement })).toThrow(/"gpu".*"auto", "backend" or "host"/);
  p.dispose();
});
