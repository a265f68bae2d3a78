// measureAccelerateThroughput (what `npm run bench` calls) with real launches: a small shape, few steps.
// Speed itself is not asserted (the machine is shared); the runs must complete, train, and not leak.
import { describe, expect, it } from "vitest";
import { formatThroughput, measureAccelerateThroughput } from "../../bench/throughput";

describe("measureAccelerateThroughput", () => {
  it("times 1 and 2 processes through the Accelerator: finite losses, no tensor leak, a speed-up reported", async () => {
    const shape = { numHiddenLayers: 1, hiddenSize: 32, numAttentionHeads: 2, intermediateSize: 64 };
    const r = await measureAccelerateThroughput({ shape, processCounts: [1, 2], steps: 3, warmup: 1, wasmThreads: 1 });
    expect(r.runs.map((x) => x.numProcesses)).toEqual([1, 2]);
    expect(r.runs.map((x) => x.wasmThreads)).toEqual([1, 1]);
    for (const run of r.runs) {
      expect(Number.isFinite(run.firstLoss) && Number.isFinite(run.lastLoss)).toBe(true);
      expect(run.examplesPerSecond).toBeGreaterThan(0);
      expect(run.tensorsAfterLastStep).toBe(run.tensorsAfterFirstStep);
    }
    expect(r.runs[0]!.syncCpuMs).toBe(0); // one process exchanges nothing
    expect(formatThroughput(r)).toMatch(/2 process\(es\) x 1 thread\(s\): [\d.]+ examples\/s/);
  });

  it("interleaves rounds of the process counts and takes the speed-up from each count's median", async () => {
    const shape = { numHiddenLayers: 1, hiddenSize: 32, numAttentionHeads: 2, intermediateSize: 64 };
    const r = await measureAccelerateThroughput({ shape, processCounts: [1, 2], rounds: 3, steps: 2, warmup: 1, wasmThreads: 1 });
    expect(r.runs.map((x) => x.numProcesses)).toEqual([1, 2, 1, 2, 1, 2]);
    const rate = (n: number) => r.runs.filter((x) => x.numProcesses === n).map((x) => x.examplesPerSecond).sort((a, b) => a - b)[1]!;
    expect(r.speedup).toBeCloseTo(rate(2) / rate(1), 12);
    expect(r.speedupByRound).toHaveLength(3);
    r.speedupByRound.forEach((x, k) => expect(x).toBeCloseTo(r.runs[2 * k + 1]!.examplesPerSecond / r.runs[2 * k]!.examplesPerSecond, 12));
    expect(formatThroughput(r)).toMatch(/median of 3 interleaved rounds \([\d.]+x, [\d.]+x, [\d.]+x\)/);
  });

  it("rejects an unknown shape by name", async () => {
    await expect(measureAccelerateThroughput({ shape: "huge" as "tiny" })).rejects.toThrow(/unknown shape "huge"; use one of tiny, mini, small/);
  });
});
