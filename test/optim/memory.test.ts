// A training loop runs 1377 steps: an optimizer step must not leave tensors behind.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { beforeAll, describe, expect, it } from "vitest";
import { Parameter } from "../../src/nn/parameter";
import { createOptimizer, getScheduler } from "../../src/optim";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe.each(["adamw_torch", "adamw_legacy"] as const)("%s memory", (name) => {
  it("tf.memory().numTensors does not grow over 100 steps (with a scheduler and zeroGrad)", () => {
    const params = [
      new Parameter("a", tf.variable(tf.randomNormal([16, 8], 0, 1, "float32", 1))),
      new Parameter("b", tf.variable(tf.zeros([8]))),
    ];
    const opt = createOptimizer(name, params, { lr: 1e-3, weightDecay: 0.01 });
    const sched = getScheduler("linear", { optimizer: opt, numWarmupSteps: 10, numTrainingSteps: 100 });
    const oneStep = (): void => {
      for (const p of params) p.accumulateGrad(tf.onesLike(p.variable));
      opt.step();
      sched.step();
      opt.zeroGrad();
    };
    oneStep(); // creates the moment variables once
    const after1 = tf.memory().numTensors;
    const bytes1 = tf.memory().numBytes;
    for (let i = 0; i < 100; i++) oneStep();
    expect(tf.memory().numTensors).toBe(after1);
    expect(tf.memory().numBytes).toBe(bytes1);
    const beforeDispose = tf.memory().numTensors;
    opt.dispose();
    // Two moment tensors per parameter are released.
    expect(tf.memory().numTensors).toBe(beforeDispose - 2 * params.length);
    params.forEach((p) => p.dispose());
  });
});
