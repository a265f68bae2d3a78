// Every transformers schedule against optim-schedules.json (transformers 4.31 LambdaLR): the learning rate
// after k scheduler steps, k = 0 (at creation) through 3 steps past the end, to 1e-12 absolute.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Parameter } from "../../src/nn/parameter";
import { AdamW, LambdaLR, SCHEDULER_TYPES, getScheduler, type GetSchedulerOptions } from "../../src/optim";
import { readReference } from "../helpers/shared";

type ScheduleCase = {
  name: string;
  base_lr: number;
  num_warmup_steps: number;
  num_training_steps: number;
  kwargs: { num_cycles?: number; power?: number; lr_end?: number; timescale?: number };
  lr_after_k_steps: number[];
};
const ref = readReference<{ schedules: ScheduleCase[] }>("optim-schedules.json");
const tiny = readReference<{
  lr_schedule: { base_lr: number; num_warmup_steps: number; num_training_steps: number; lr_after_k_scheduler_steps: Record<string, number> };
}>("tiny-v128-h32/reference.json").lr_schedule;

let param: Parameter;
beforeAll(async () => {
  await tf.setBackend("cpu");
  param = new Parameter("w", tf.variable(tf.zeros([2])));
});
afterAll(() => param.dispose());

function expectLr(label: string, ours: number, want: number): void {
  expect(Math.abs(ours - want) <= 1e-12, `${label}: lr ${ours} vs reference ${want}`).toBe(true);
}

describe("schedules vs transformers 4.31", () => {
  it("the fixture covers every schedule type", () => {
    expect(new Set(ref.schedules.map((s) => s.name))).toEqual(new Set(SCHEDULER_TYPES));
  });

  for (const c of ref.schedules) {
    it(`${c.name} warmup ${c.num_warmup_steps} of ${c.num_training_steps} ${JSON.stringify(c.kwargs)}: every lr to 1e-12`, () => {
      const optimizer = new AdamW([param], { lr: c.base_lr });
      const options: GetSchedulerOptions = {
        optimizer,
        numWarmupSteps: c.num_warmup_steps,
        numTrainingSteps: c.num_training_steps,
        numCycles: c.kwargs.num_cycles,
        power: c.kwargs.power,
        lrEnd: c.kwargs.lr_end,
        timescale: c.kwargs.timescale,
      };
      const scheduler = getScheduler(c.name, options);
      // The fixture runs 3 steps past the end.
      expect(c.lr_after_k_steps.length).toBe(c.num_training_steps + 3);
      c.lr_after_k_steps.forEach((want, k) => {
        if (k > 0) scheduler.step();
        expect(scheduler.lastEpoch).toBe(k);
        expectLr(`${c.name} step ${k} (paramGroups[0].lr)`, optimizer.paramGroups[0]!.lr, want);
        expectLr(`${c.name} step ${k} (getLastLr)`, scheduler.getLastLr()[0]!, want);
      });
      optimizer.dispose();
    });
  }

  it("the course's linear schedule (5e-5, 1377 steps) matches tiny-v128-h32 lr_schedule", () => {
    const optimizer = new AdamW([param], { lr: tiny.base_lr });
    const scheduler = getScheduler("linear", {
      optimizer,
      numWarmupSteps: tiny.num_warmup_steps,
      numTrainingSteps: tiny.num_training_steps,
    });
    const checkpoints = new Map(Object.entries(tiny.lr_after_k_scheduler_steps).map(([k, v]) => [Number(k), v]));
    expect(checkpoints.size).toBeGreaterThan(5);
    const last = Math.max(...checkpoints.keys());
    for (let k = 0; k <= last; k++) {
      if (k > 0) scheduler.step();
      const want = checkpoints.get(k);
      if (want !== undefined) expectLr(`linear step ${k}`, optimizer.paramGroups[0]!.lr, want);
    }
    optimizer.dispose();
  });
});

describe("getScheduler contract", () => {
  it("an unknown name lists the valid ones", () => {
    const optimizer = new AdamW([param]);
    expect(() => getScheduler("cosine_annealing", { optimizer })).toThrow(
      /not a valid SchedulerType.*linear.*cosine_with_restarts.*inverse_sqrt/,
    );
    optimizer.dispose();
  });

  it("missing numWarmupSteps / numTrainingSteps give transformers' errors", () => {
    const optimizer = new AdamW([param]);
    for (const name of ["linear", "cosine", "cosine_with_restarts", "polynomial", "constant_with_warmup", "inverse_sqrt"]) {
      expect(() => getScheduler(name, { optimizer, numTrainingSteps: 10 })).toThrow(`${name} requires \`numWarmupSteps\``);
    }
    for (const name of ["linear", "cosine", "cosine_with_restarts", "polynomial"]) {
      expect(() => getScheduler(name, { optimizer, numWarmupSteps: 0 })).toThrow(`${name} requires \`numTrainingSteps\``);
    }
    // These need no training length; constant needs nothing.
    expect(() => getScheduler("constant_with_warmup", { optimizer, numWarmupSteps: 2 })).not.toThrow();
    expect(() => getScheduler("inverse_sqrt", { optimizer, numWarmupSteps: 2 })).not.toThrow();
    expect(() => getScheduler("constant", { optimizer })).not.toThrow();
    optimizer.dispose();
  });

  it("rejects options the schedule does not take, and polynomial lrEnd >= lr", () => {
    const optimizer = new AdamW([param], { lr: 1e-3 });
    expect(() => getScheduler("linear", { optimizer, numWarmupSteps: 0, numTrainingSteps: 5, power: 2 })).toThrow(/unexpected option power/);
    expect(() => getScheduler("polynomial", { optimizer, numWarmupSteps: 0, numTrainingSteps: 5, lrEnd: 1e-2 })).toThrow(
      /lr_end \(0.01\) must be smaller than initial lr \(0.001\)/,
    );
    expect(() => getScheduler("linear", { optimizer, numWarmupSteps: -1, numTrainingSteps: 5 })).toThrow(/numWarmupSteps is -1/);
    optimizer.dispose();
  });

  it("stateDict / loadStateDict resume the schedule where it stopped", () => {
    const c = ref.schedules.find((s) => s.name === "cosine")!;
    const make = (): { opt: AdamW; sched: LambdaLR } => {
      const opt = new AdamW([param], { lr: c.base_lr });
      const sched = getScheduler("cosine", { optimizer: opt, numWarmupSteps: c.num_warmup_steps, numTrainingSteps: c.num_training_steps });
      return { opt, sched };
    };
    const a = make();
    for (let k = 0; k < 37; k++) {
      a.opt.step();
      a.sched.step();
    }
    const saved = { opt: a.opt.stateDict(), sched: a.sched.stateDict() };
    const b = make();
    b.opt.loadStateDict(saved.opt);
    b.sched.loadStateDict(saved.sched);
    expect(b.sched.lastEpoch).toBe(37);
    expectLr("resumed at 37", b.opt.paramGroups[0]!.lr, c.lr_after_k_steps[37]!);
    for (let k = 38; k < c.lr_after_k_steps.length; k++) {
      b.sched.step();
      expectLr(`resumed step ${k}`, b.opt.paramGroups[0]!.lr, c.lr_after_k_steps[k]!);
    }
    a.opt.dispose();
    b.opt.dispose();
  });

  it("creating a scheduler sets lambda(0) * lr before the first step, and remembers the base lr", () => {
    const optimizer = new AdamW([param], { lr: 5e-5 });
    const s = getScheduler("linear", { optimizer, numWarmupSteps: 10, numTrainingSteps: 100 });
    expect(optimizer.paramGroups[0]!.lr).toBe(0);
    expect(optimizer.paramGroups[0]!.initialLr).toBe(5e-5);
    expect(s.baseLrs).toEqual([5e-5]);
    optimizer.dispose();
  });
});
