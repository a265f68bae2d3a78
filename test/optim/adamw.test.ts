// Both optimizers against torch.optim.AdamW and the legacy transformers.AdamW (optim-schedules.json):
// every parameter after every one of 5 steps, on the cpu and wasm backends; plus the contract the
// training loop relies on (skipping, zeroGrad, state save/restore, no tensor leaks).
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { Parameter } from "../../src/nn/parameter";
import { AdamW, LegacyAdamW, createOptimizer, type Optimizer } from "../../src/optim";
import { RTOL, expectClose } from "../helpers/close";
import { readReference } from "../helpers/shared";

type OptimCase = {
  kind: "torch" | "legacy";
  options: { lr: number; weight_decay: number; betas?: [number, number]; eps?: number; correct_bias?: boolean };
  params_after_each_step: number[][][];
};
const ref = readReference<{ p0: number[][]; grads: number[][][]; optimizers: OptimCase[] }>("optim-schedules.json");

function makeParam(name: string, value: number[][] | tf.Tensor): Parameter {
  const t = value instanceof tf.Tensor ? value : tf.tensor2d(value, undefined, "float32");
  const v = tf.variable(t, true, undefined, "float32");
  if (!(value instanceof tf.Tensor)) t.dispose();
  return new Parameter(name, v);
}

function optimizerFor(c: OptimCase, params: Parameter[]): Optimizer {
  const o = c.options;
  if (c.kind === "torch") {
    return createOptimizer("adamw_torch", params, { lr: o.lr, weightDecay: o.weight_decay, betas: o.betas, eps: o.eps });
  }
  return createOptimizer("adamw_legacy", params, {
    lr: o.lr,
    weightDecay: o.weight_decay,
    betas: o.betas,
    eps: o.eps,
    correctBias: o.correct_bias,
  });
}

function setGrad(p: Parameter, g: number[][]): void {
  p.zeroGrad();
  p.accumulateGrad(tf.tensor2d(g, undefined, "float32"));
}

describe.each(["cpu", "wasm"])("optimizers on %s", (backend) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    await tf.ready();
  });

  it("the fixture has both kinds and 5 steps per case", () => {
    expect(ref.optimizers.filter((c) => c.kind === "torch").length).toBeGreaterThanOrEqual(3);
    expect(ref.optimizers.filter((c) => c.kind === "legacy").length).toBeGreaterThanOrEqual(3);
    for (const c of ref.optimizers) expect(c.params_after_each_step.length).toBe(ref.grads.length);
  });

  for (const [ci, c] of ref.optimizers.entries()) {
    it(`case ${ci}: ${c.kind} ${JSON.stringify(c.options)} matches every step (rtol ${RTOL.optim})`, () => {
      const p = makeParam("p", ref.p0);
      const opt = optimizerFor(c, [p]);
      ref.grads.forEach((g, k) => {
        setGrad(p, g);
        opt.step();
        opt.zeroGrad();
        expectClose(`${c.kind} case ${ci} step ${k + 1}`, p.variable.dataSync(), c.params_after_each_step[k]!, RTOL.optim);
      });
      opt.dispose();
      p.dispose();
    });
  }
});

describe("optimizer contract (cpu)", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  it("defaults are torch's for AdamW and transformers' for the legacy one", () => {
    const p = makeParam("p", ref.p0);
    const a = new AdamW([p]);
    expect(a.paramGroups[0]).toMatchObject({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 });
    const l = new LegacyAdamW([p]);
    expect(l.paramGroups[0]).toMatchObject({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-6, weightDecay: 0, correctBias: true });
    a.dispose();
    l.dispose();
    p.dispose();
  });

  it("skips parameters without a gradient or with requiresGrad false", () => {
    const a = makeParam("a", ref.p0);
    const b = makeParam("b", ref.p0);
    const c = makeParam("c", ref.p0);
    c.requiresGrad = false;
    setGrad(c, ref.grads[0]!);
    const before = { b: Array.from(b.variable.dataSync()), c: Array.from(c.variable.dataSync()) };
    const opt = new AdamW([a, b, c], { lr: 0.1, weightDecay: 0.5 });
    setGrad(a, ref.grads[0]!);
    opt.step();
    // a moved as the torch reference's first step says; b and c did not move at all (not even decay).
    expectClose("a after step 1", a.variable.dataSync(), ref.optimizers[0]!.params_after_each_step[0]!, RTOL.optim);
    expect(Array.from(b.variable.dataSync())).toEqual(before.b);
    expect(Array.from(c.variable.dataSync())).toEqual(before.c);
    expect(Object.keys(opt.stateDict().state)).toEqual(["0"]);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    expect(c.grad).toBeNull();
    opt.dispose();
    [a, b, c].forEach((p) => p.dispose());
  });

  it("the learning rate is read from paramGroups[0].lr at each step", () => {
    // lr 0 for one step leaves the parameter unchanged (decay factor 1, update scaled by 0).
    const p = makeParam("p", ref.p0);
    const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.5 });
    opt.paramGroups[0]!.lr = 0;
    setGrad(p, ref.grads[0]!);
    opt.step();
    expect(Array.from(p.variable.dataSync())).toEqual(Array.from(new Float32Array(ref.p0.flat())));
    opt.dispose();
    p.dispose();
  });

  it("createOptimizer rejects an unknown name, listing the valid ones", () => {
    const p = makeParam("p", ref.p0);
    expect(() => createOptimizer("adam", [p])).toThrow(/adamw_torch, adamw_legacy/);
    expect(() => createOptimizer("adamw_torch", [p], { correctBias: false })).toThrow(/adamw_legacy/);
    expect(() => new AdamW([p], { lr: -1 })).toThrow(/learning rate -1/);
    expect(() => new AdamW([p], { betas: [1, 0.999] })).toThrow(/beta at index 0/);
    expect(() => new AdamW([])).toThrow(/empty parameter list/);
    p.dispose();
  });

  for (const name of ["adamw_torch", "adamw_legacy"] as const) {
    it(`${name}: 3 steps, save, new optimizer, load, 2 steps == 5 steps uninterrupted, bitwise`, () => {
      const opts = { lr: 0.1, weightDecay: 0.3 };
      const pa = makeParam("w", ref.p0);
      const straight = createOptimizer(name, [pa], opts);
      for (const g of ref.grads) {
        setGrad(pa, g);
        straight.step();
      }

      const pb = makeParam("w", ref.p0);
      const first = createOptimizer(name, [pb], opts);
      for (const g of ref.grads.slice(0, 3)) {
        setGrad(pb, g);
        first.step();
      }
      const saved = first.stateDict();
      first.dispose();
      expect(saved.state[0]!.step).toBe(3);
      const resumed = createOptimizer(name, [pb], { lr: 123, weightDecay: 0 });
      resumed.loadStateDict(saved);
      expect(resumed.paramGroups[0]).toMatchObject({ lr: 0.1, weightDecay: 0.3 });
      for (const g of ref.grads.slice(3)) {
        setGrad(pb, g);
        resumed.step();
      }
      expect(Array.from(pb.variable.dataSync())).toEqual(Array.from(pa.variable.dataSync()));
      const [sa, sb] = [straight.stateDict().state[0]!, resumed.stateDict().state[0]!];
      expect(sb.step).toBe(5);
      expect(Array.from(sb.expAvg.data)).toEqual(Array.from(sa.expAvg.data));
      expect(Array.from(sb.expAvgSq.data)).toEqual(Array.from(sa.expAvgSq.data));
      [straight, resumed].forEach((o) => o.dispose());
      [pa, pb].forEach((p) => p.dispose());
    });
  }

  it("loadStateDict names what does not fit", () => {
    const p = makeParam("w", ref.p0);
    const q = makeParam("other", tf.zeros([2, 2]));
    const a = new AdamW([p]);
    setGrad(p, ref.grads[0]!);
    a.step();
    const dict = a.stateDict();
    expect(() => new LegacyAdamW([p]).loadStateDict(dict)).toThrow(/adamw_torch/);
    expect(() => new AdamW([q]).loadStateDict(dict)).toThrow(/"w".*"other"/);
    const renamed = { ...dict, paramNames: ["other"] };
    expect(() => new AdamW([q]).loadStateDict(renamed)).toThrow(/shape \[4,3\].*\[2,2\]/);
    a.dispose();
    p.dispose();
    q.dispose();
  });

  it("stateDictAsync (what checkpoints call: webgpu reads only asynchronously) gives stateDict's dict", async () => {
    const p = makeParam("w", ref.p0);
    const a = new AdamW([p], { lr: 0.1 });
    for (const g of ref.grads.slice(0, 2)) {
      setGrad(p, g);
      a.step();
    }
    const viaAwait = await a.stateDictAsync();
    expect(viaAwait.state[0]!.step).toBe(2);
    expect(Array.from(viaAwait.state[0]!.expAvgSq.data).some((v) => v !== 0)).toBe(true);
    expect(viaAwait).toEqual(a.stateDict());
    a.dispose();
    await expect(a.stateDictAsync()).rejects.toThrow(/disposed/);
    p.dispose();
  });

  it("a restored state survives the dict being serialised through plain arrays", () => {
    const p = makeParam("w", ref.p0);
    const a = new AdamW([p], { lr: 0.1 });
    setGrad(p, ref.grads[0]!);
    a.step();
    const dict = a.stateDict();
    const json = JSON.parse(
      JSON.stringify(dict, (_k, v: unknown) => (v instanceof Float32Array ? Array.from(v) : v)),
    ) as typeof dict;
    for (const e of Object.values(json.state)) {
      e.expAvg.data = new Float32Array(e.expAvg.data);
      e.expAvgSq.data = new Float32Array(e.expAvgSq.data);
    }
    const b = new AdamW([p]);
    b.loadStateDict(json);
    expect(Array.from(b.stateDict().state[0]!.expAvgSq.data)).toEqual(Array.from(dict.state[0]!.expAvgSq.data));
    a.dispose();
    b.dispose();
    p.dispose();
  });
});
