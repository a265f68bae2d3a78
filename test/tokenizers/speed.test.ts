// The brief's speed target: tokenizing all of MRPC (5801 pairs, as the course does) in under 1 s here.
import { expect, it } from "vitest";
import { benchTokenization } from "../../bench/tokenization";

it("tokenizes all 5801 MRPC pairs in under 1 s", async () => {
  const r = await benchTokenization();
  expect(r.pairs).toBe(3668 + 408 + 1725);
  expect(r.seconds).toBeLessThan(1);
  expect(r.pairsPerSecond).toBeCloseTo(r.pairs / r.seconds, 6);
});
