// The native addon's shared memory and pair sum (native/shared-memory.c through src/backend/shared-memory.ts),
// which a two-process allReduce uses instead of its socket: segments seen through two mappings, names it
// refuses, and a sum that is JavaScript's `(a + b) * scale` into a Float32Array bit for bit, so that a group
// gives the same bits with and without the addon. Two real processes: test/accelerate/process-group.test.ts.
import { existsSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { sharedMemory, type SharedMemory } from "../../src/backend/shared-memory";
import { Generator } from "../../src/utils/random";

const got = sharedMemory();
const shm: SharedMemory | null = "shm" in got ? got.shm : null;

/** Values that make rounding show: wide magnitudes, cancelling pairs, subnormals, zeros of both signs, infinities. */
function operands(n: number, salt: string): [Float32Array, Float32Array] {
  const g = new Generator(`test/shared-memory-${salt}`);
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = g.normal() * 10 ** (g.randint(16) - 8);
    b[i] = i % 5 === 0 ? -a[i]! * (1 + 2 ** -20) : g.normal() * 10 ** (g.randint(16) - 8);
  }
  const special = [1e-45, -1e-45, 1.1754942e-38, -0, 0, Infinity, -Infinity, 3.4028235e38, 3.4028235e38, 1e-40];
  a.set(special, 0);
  b.set([1e-45, 1e-45, -1.1754942e-38, -0, -0, 1, -1e30, 3.4028235e38, -3.4028235e38, 3e-40], 0);
  return [a, b];
}

/** What process-group.ts's JavaScript path stores: the double sum, scaled, rounded once. */
function jsSum(a: Float32Array, b: Float32Array, scale: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i]! + b[i]!) * scale;
  return out;
}

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

describe.runIf(shm !== null)("shared memory (native/shared-memory.c)", () => {
  const s = shm!;

  it("a segment written through one mapping is read through another; the name can go while both stay", () => {
    const made = s.create(4096 * 3);
    try {
      expect(made.name).toMatch(/^\/kit-\d+-\d+-[0-9a-f]+$/);
      expect(new Float32Array(made.buffer).every((v) => v === 0)).toBe(true);
      const other = new Float32Array(s.open(made.name, 4096 * 3));
      new Float32Array(made.buffer).set([1.5, -2.25], 1000);
      expect([...other.subarray(1000, 1002)]).toEqual([1.5, -2.25]);
      if (process.platform === "linux") expect(existsSync(`/dev/shm${made.name}`)).toBe(true);
      s.unlink(made.name);
      s.unlink(made.name); // gone already: not an error
      if (process.platform === "linux") expect(existsSync(`/dev/shm${made.name}`)).toBe(false);
      other[3] = 7;
      expect(new Float32Array(made.buffer)[3]).toBe(7);
      expect(() => s.open(made.name, 16)).toThrow(new RegExp(`shm_open of ${made.name} failed: No such file`));
    } finally {
      s.unlink(made.name);
    }
  });

  it("refuses to open more than the segment holds, names it did not make, and sizes out of range", () => {
    const made = s.create(64);
    try {
      expect(() => s.open(made.name, 65)).toThrow(`segment ${made.name} is smaller than the 65 bytes expected`);
      for (const name of ["/etc", "kit-1", "/kit-../x", "/kit-A", `/kit-${"1".repeat(80)}`]) {
        expect(() => s.open(name, 4), name).toThrow("expected a segment name made by shmCreate");
        expect(() => s.unlink(name), name).toThrow("expected a segment name made by shmCreate");
      }
      expect(() => s.create(0)).toThrow("expected a size between 1 byte and 1 TiB");
      // More than /dev/shm holds: refused when made (its pages are reserved), not a SIGBUS at the first write.
      if (process.platform === "linux") expect(() => s.create(2 ** 40)).toThrow(/posix_fallocate of \/kit-[-0-9a-f]+ failed: (No space left on device|File too large)/);
      expect(() => s.create(-8)).toThrow("expected a size between 1 byte and 1 TiB");
    } finally {
      s.unlink(made.name);
    }
  });

  it("sumPair is JavaScript's float64 sum rounded once, bit for bit: sum and mean, in place, with a copy", () => {
    const n = 4099; // lanes of 8 and a tail
    const [a, b] = operands(n, "values");
    for (const scale of [1, 0.5]) {
      const want = bits(jsSum(a, b, scale));
      const out = new Float32Array(n);
      const copy = new Float32Array(n);
      s.sumPair(a, b, scale, out, copy);
      expect(bits(out)).toEqual(want);
      expect(bits(copy)).toEqual(want);
      // In place, into either operand (the exchange reduces into the rank's own gradient).
      const a2 = a.slice();
      s.sumPair(a2, b, scale, a2, null);
      expect(bits(a2)).toEqual(want);
      const b2 = b.slice();
      s.sumPair(a, b2, scale, b2, null);
      expect(bits(b2)).toEqual(want);
    }
    // The comparison is not trivial: rounding happened (the float32 sum of the float32 values differs somewhere).
    const sum = jsSum(a, b, 1);
    expect(sum.some((v, i) => v !== a[i]! + b[i]!)).toBe(true);
    // NaN stays NaN.
    const nan = new Float32Array([NaN]);
    s.sumPair(nan, new Float32Array([1]), 1, nan, null);
    expect(Number.isNaN(nan[0])).toBe(true);
  });

  it("sumPair refuses arrays of different lengths and outputs that overlap otherwise than in place", () => {
    const heap = new Float32Array(64);
    const a = heap.subarray(0, 16);
    const b = heap.subarray(16, 32);
    expect(() => s.sumPair(a, b, 1, heap.subarray(32, 47), null)).toThrow("must all have the same length");
    expect(() => s.sumPair(a, b, 1, heap.subarray(32, 48), heap.subarray(48, 63))).toThrow("must all have the same length");
    expect(() => s.sumPair(a, b, 1, heap.subarray(8, 24), null)).toThrow("must not otherwise overlap");
    expect(() => s.sumPair(a, b, 1, heap.subarray(32, 48), heap.subarray(40, 56))).toThrow("must not otherwise overlap");
    expect(() => s.sumPair(a, b, 1, a, b)).toThrow("must not otherwise overlap");
    expect(() => s.sumPair(a, b, 1, new Float64Array(16) as unknown as Float32Array, null)).toThrow("expects Float32Arrays");
  });

  it("leaves nothing in /dev/shm from this process", () => {
    if (process.platform !== "linux") return;
    expect(readdirSync("/dev/shm").filter((f) => f.startsWith(`kit-${process.pid}-`))).toEqual([]);
  });
});
