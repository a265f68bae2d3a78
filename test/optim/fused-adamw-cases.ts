// The checks of the fused AdamW update (src/optim/fused-adamw.ts), shared by the single-threaded and the
// threaded wasm build's test files (each file is its own process: the build is chosen when the backend starts).
// The reference is the TF.js op sequence the kernel replaces (adamw.ts / adamw-legacy.ts with the fused path
// off), on the same inputs: parameters, moments and every step must be BITWISE equal, and the kernel must
// actually have run (its call count), else the comparison would only compare the op sequence with itself.
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBackend, wasmThreadsCount } from "../../src/backend";
import { Parameter } from "../../src/nn/parameter";
import { Optimizer, createOptimizer, type MomentsPlacement, type OptimizerStateDict } from "../../src/optim";
import { fusedAdamWCalls, setFusedAdamW } from "../../src/optim/fused-adamw";
import { Generator } from "../../src/utils/random";

/** Parameter shapes: lengths 1..9 (every SIMD tail), 1001, and a ~1 M one (odd). */
const SHAPES: number[][] = [[1], [2], [3], [4], [5], [6], [7], [8], [9], [7, 143], [1_000_003]];
/** Learning rate of each step, relative to the base (a decaying schedule ending at 0). */
const LR_SCHEDULE = [1, 0.75, 0.5, 0.25, 0];

/** Values spanning magnitudes 10^lo..10^hi with random signs, a tenth of them exactly 0. */
function spread(rng: Generator, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.random() < 0.1 ? 0 : rng.normal() * 10 ** (lo + (hi - lo) * rng.random());
  return out;
}

interface Inputs {
  params: Float32Array[];
  /** grads[step][param] */
  grads: Float32Array[][];
  /** Moments to start from for the odd-numbered parameters (step 1000: bias corrections near 1); others start at 0. */
  loaded: Map<number, { expAvg: Float32Array; expAvgSq: Float32Array }>;
}

function makeInputs(seed: number): Inputs {
  const rng = new Generator(seed);
  const sizes = SHAPES.map((s) => s.reduce((a, b) => a * b, 1));
  const params = sizes.map((n) => spread(rng, n, -3, 1));
  // Gradients from 1e-22 (their squares times 1-beta2 are subnormal) to 10, tiny ones ~1e-10 included.
  const grads = LR_SCHEDULE.map(() => sizes.map((n) => spread(rng, n, -22, 1)));
  const loaded = new Map<number, { expAvg: Float32Array; expAvgSq: Float32Array }>();
  sizes.forEach((n, i) => {
    if (i % 2 === 0) return;
    const expAvg = spread(rng, n, -8, -1);
    const expAvgSq = expAvg.map((m) => m * m * 10 ** (2 * rng.random()));
    loaded.set(i, { expAvg, expAvgSq });
  });
  return { params, grads, loaded };
}

function parameter(name: string, value: Float32Array, shape: number[]): Parameter {
  return new Parameter(name, tf.tidy(() => tf.variable(tf.tensor(value, shape, "float32"), true, undefined, "float32")));
}

interface OptimizerCase {
  kind: "adamw_torch" | "adamw_legacy";
  weightDecay: number;
  correctBias?: boolean;
}

interface Trace {
  /** After each step: every parameter, then every expAvg, then every expAvgSq. */
  steps: Float32Array[][];
  kernelCalls: number;
}

function run(c: OptimizerCase, inputs: Inputs, fused: boolean, placement: MomentsPlacement = "backend"): Trace {
  const previous = setFusedAdamW(fused);
  const params = inputs.params.map((v, i) => parameter(`p${i}`, v, SHAPES[i]!));
  const baseLr = 3e-3;
  const options = { lr: baseLr, weightDecay: c.weightDecay, momentsPlacement: placement };
  const opt: Optimizer =
    c.kind === "adamw_torch"
      ? createOptimizer("adamw_torch", params, options)
      : createOptimizer("adamw_legacy", params, { ...options, correctBias: c.correctBias ?? true });
  try {
    const dict = opt.stateDict();
    for (const [i, m] of inputs.loaded) {
      const shape = SHAPES[i]!;
      dict.state[i] = {
        step: 1000,
        expAvg: { dtype: "float32", shape, data: m.expAvg },
        expAvgSq: { dtype: "float32", shape, data: m.expAvgSq },
      } satisfies OptimizerStateDict["state"][number];
    }
    opt.loadStateDict(dict);
    const before = fusedAdamWCalls();
    const steps: Float32Array[][] = [];
    LR_SCHEDULE.forEach((factor, k) => {
      opt.paramGroups[0]!.lr = baseLr * factor;
      params.forEach((p, i) => p.accumulateGrad(tf.tensor(inputs.grads[k]![i]!, SHAPES[i]!, "float32")));
      opt.step();
      opt.zeroGrad();
      const state = opt.stateDict().state;
      steps.push([
        ...params.map((p) => Float32Array.from(p.variable.dataSync() as Float32Array)),
        ...params.map((_, i) => state[i]!.expAvg.data),
        ...params.map((_, i) => state[i]!.expAvgSq.data),
      ]);
    });
    return { steps, kernelCalls: fusedAdamWCalls() - before };
  } finally {
    setFusedAdamW(previous);
    opt.dispose();
    for (const p of params) p.dispose();
  }
}

/** Bitwise equality (as uint32, so -0 vs 0 and NaN payloads count), naming the first difference. */
function expectSameBits(label: string, ours: Float32Array, ref: Float32Array): void {
  expect(ours.length, `${label}: length`).toBe(ref.length);
  const a = new Uint32Array(ours.buffer, ours.byteOffset, ours.length);
  const b = new Uint32Array(ref.buffer, ref.byteOffset, ref.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) throw new Error(`${label}[${i}]: fused ${ours[i]} (0x${a[i]!.toString(16)}) vs op sequence ${ref[i]} (0x${b[i]!.toString(16)})`);
  }
}

function expectSameTraces(fused: Trace, ops: Trace): void {
  const n = SHAPES.length;
  const what = (j: number): string => `${["param", "expAvg", "expAvgSq"][Math.floor(j / n)]} ${SHAPES[j % n]!.join("x")}`;
  fused.steps.forEach((arrays, k) => arrays.forEach((a, j) => expectSameBits(`step ${k + 1}, ${what(j)}`, a, ops.steps[k]![j]!)));
}

export function fusedAdamWSuite(threads: number): void {
  describe(`fused AdamW on wasm, KIT_WASM_THREADS=${threads}`, () => {
    beforeAll(async () => {
      process.env.KIT_WASM_THREADS = String(threads);
      await useBackend("wasm");
      expect(wasmThreadsCount()).toBe(threads);
    });
    afterAll(() => void setFusedAdamW(true));

    const cases: OptimizerCase[] = [
      { kind: "adamw_torch", weightDecay: 0 },
      { kind: "adamw_torch", weightDecay: 0.01 },
      { kind: "adamw_legacy", weightDecay: 0 },
      { kind: "adamw_legacy", weightDecay: 0.01 },
      { kind: "adamw_legacy", weightDecay: 0.01, correctBias: false },
    ];
    for (const [ci, c] of cases.entries()) {
      const label = `${c.kind}, weight decay ${c.weightDecay}${c.correctBias === false ? ", no bias correction" : ""}`;
      it(`${label}: bitwise the TF.js op sequence over ${LR_SCHEDULE.length} steps, lengths 1..9, 1001, 1000003`, () => {
        const inputs = makeInputs(100 + ci);
        const tensorsBefore = tf.memory().numTensors;
        const fused = run(c, inputs, true);
        const ops = run(c, inputs, false);
        expect(fused.kernelCalls, "the fused kernel ran for every parameter at every step").toBe(SHAPES.length * LR_SCHEDULE.length);
        expect(ops.kernelCalls, "the reference run used the op sequence").toBe(0);
        expectSameTraces(fused, ops);
        expect(tf.memory().numTensors, "no tensor left behind").toBe(tensorsBefore);
      });
    }

    it("host-resident moments (chunked updates) go through the kernel with the same bits", () => {
      const c: OptimizerCase = { kind: "adamw_torch", weightDecay: 0.01 };
      const inputs = makeInputs(7);
      const chunk = Optimizer.hostChunkValues;
      Optimizer.hostChunkValues = 300;
      try {
        const host = run(c, inputs, true, "host");
        const ops = run(c, inputs, false, "backend");
        expect(host.kernelCalls).toBeGreaterThan(SHAPES.length * LR_SCHEDULE.length);
        expectSameTraces(host, ops);
      } finally {
        Optimizer.hostChunkValues = chunk;
      }
    });

    // The package's 2-D matMul hands B to XNNPACK, which packs it once and caches the operator under the
    // tensor's id (batch_mat_mul_impl.cc) until the tensor is disposed. A weight written in place keeps its id:
    // unless the optimizer tells the backend, the next dx = dy @ W (backward of a dense layer) uses the old W.
    for (const placement of ["backend", "host"] as const) {
      it(`a matMul after the update sees the new weights (XNNPACK's packed-weights cache), moments on ${placement}`, () => {
        const rng = new Generator(11);
        const p = parameter("w", spread(rng, 30, -2, 0), [6, 5]);
        const dy = tf.tensor(spread(rng, 18, -2, 0), [3, 6], "float32");
        const chunk = Optimizer.hostChunkValues;
        Optimizer.hostChunkValues = 10; // the host path updates [6, 5] in chunks of two rows, written in place
        const opt = createOptimizer("adamw_torch", [p], { lr: 1e-2, momentsPlacement: placement });
        try {
          const before = fusedAdamWCalls();
          for (let step = 0; step < 2; step++) {
            tf.matMul(dy, p.variable).dispose(); // packs the current weights into a cached operator
            p.zeroGrad();
            p.accumulateGrad(tf.tensor(spread(rng, 30, -3, 0), [6, 5], "float32"));
            opt.step();
            const after = tf.matMul(dy, p.variable);
            const copy = tf.tensor(p.variable.dataSync(), [6, 5], "float32");
            const fresh = tf.matMul(dy, copy);
            expectSameBits(`step ${step + 1}: dy @ W`, after.dataSync() as Float32Array, fresh.dataSync() as Float32Array);
            tf.dispose([after, copy, fresh]);
          }
          expect(fusedAdamWCalls() - before, "the fused kernel did the updates").toBeGreaterThanOrEqual(2);
        } finally {
          Optimizer.hostChunkValues = chunk;
          opt.dispose();
          p.dispose();
          dy.dispose();
        }
      });
    }

    it("a parameter whose buffer another tensor shares is not written in place (op sequence instead)", () => {
      const rng = new Generator(3);
      const value = spread(rng, 1001, -3, 1);
      const p = parameter("shared", value, [1001]);
      // On wasm the kit's Identity shares the buffer: the clone and the variable hold one dataId.
      const snapshot = p.variable.clone();
      const opt = createOptimizer("adamw_torch", [p], { lr: 1e-2, momentsPlacement: "backend" });
      try {
        const before = fusedAdamWCalls();
        p.accumulateGrad(tf.tensor(spread(rng, 1001, -6, 0), [1001], "float32"));
        opt.step();
        expect(fusedAdamWCalls() - before, "no fused update while the buffer is shared").toBe(0);
        expectSameBits("the clone keeps the old values", snapshot.dataSync() as Float32Array, value);
        expect(Array.from(p.variable.dataSync()).some((x, i) => x !== value[i]), "the parameter was updated").toBe(true);
        // Once the clone is gone, the variable's buffer is its own again: the kernel runs.
        snapshot.dispose();
        p.zeroGrad();
        p.accumulateGrad(tf.tensor(spread(rng, 1001, -6, 0), [1001], "float32"));
        opt.step();
        expect(fusedAdamWCalls() - before).toBe(1);
      } finally {
        snapshot.dispose();
        opt.dispose();
        p.dispose();
      }
    });
  });
}
