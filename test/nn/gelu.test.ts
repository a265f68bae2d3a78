// GELU accuracy (DESIGN.md §3): BERT's exact erf GELU on [-6, 6] within 1e-6 absolute of a float64 erf GELU,
// on cpu and wasm, and its gradient likewise. tf.erf alone misses this (1.6e-4 relative on cpu).
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { useBackend } from "../../src/backend";
import { gelu } from "../../src/nn";
import { erf64, erfc64, gelu64, geluGrad64 } from "./float64-erf";

// Float32-representable inputs, so the reference is evaluated at exactly the x the tensor holds.
const xs = Array.from({ length: 12001 }, (_, i) => Math.fround(-6 + i * 0.001));

describe("float64 reference erf", () => {
  it("matches known values", () => {
    // Abramowitz & Stegun table 7.1 / standard values.
    expect(Math.abs(erf64(0.5) - 0.5204998778130465)).toBeLessThan(1e-15);
    expect(Math.abs(erf64(1) - 0.8427007929497149)).toBeLessThan(1e-15);
    expect(Math.abs(erf64(2) - 0.9953222650189527)).toBeLessThan(1e-15);
    expect(Math.abs(erfc64(3) / 2.209049699858544e-5 - 1)).toBeLessThan(1e-12);
    expect(Math.abs(erfc64(5) / 1.5374597944280349e-12 - 1)).toBeLessThan(1e-12);
    // Series and continued fraction agree where they meet.
    expect(Math.abs(erfc64(2.999999) - erfc64(3.000001))).toBeLessThan(3e-10);
  });
});

for (const backend of ["cpu", "wasm"] as const) {
  describe(`gelu on ${backend}`, () => {
    it("is within 1e-6 absolute of the float64 GELU on [-6, 6]", async () => {
      await useBackend(backend);
      const ours = tf.tidy(() => gelu(tf.tensor1d(xs))).dataSync();
      let worst = 0;
      let at = 0;
      xs.forEach((x, i) => {
        const err = Math.abs(ours[i]! - gelu64(x));
        if (err > worst) [worst, at] = [err, x];
      });
      expect(worst, `worst |error| ${worst} at x = ${at}`).toBeLessThanOrEqual(1e-6);
      // The negative tail is tiny, where tf.erf's cancellation costs 1.6e-4 relative: ours stays within 1e-5
      // relative (float32 rounding of x^2 in the exponent alone gives ~1e-6 at x = -5).
      let worstRel = 0;
      xs.forEach((x, i) => {
        if (x < 0) worstRel = Math.max(worstRel, Math.abs(ours[i]! - gelu64(x)) / Math.abs(gelu64(x)));
      });
      console.log(`${backend}: worst GELU abs error ${worst.toExponential(2)} (x = ${at}), worst relative for x < 0 ${worstRel.toExponential(2)}`);
      expect(worstRel).toBeLessThanOrEqual(1e-5);
    });

    it("has the exact gradient Phi(x) + x phi(x)", async () => {
      await useBackend(backend);
      const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(gelu(x)))(tf.tensor1d(xs))).dataSync();
      xs.forEach((x, i) => expect(Math.abs(g[i]! - geluGrad64(x)), `x = ${x}`).toBeLessThanOrEqual(1e-6));
    });
  });
}
