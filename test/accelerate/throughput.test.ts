// measureAccelerateThroughput (what `npm run bench` calls) with real launches: a small shape, few steps.
// Speed itself is not asserted (the machine is shared); the runs must complete, train, and not leak.
import { describe, expect, it } from "vitest";
import { formatThroughput, measureAccelerateThroughput } from "../../src/accelerate/throughput";

describe("measureAccelerateThroughput", () => {
  it("times 1 and 2 processes through the Accelerator: finite losses, no tensor leak, a speed-up computed from both", async () => {
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
    expect(r.speedup).toBeCloseTo(r.runs[1]!.examplesPerSecond / r.runs[0]!.examplesPerSecond, 12);
    expect(formatThroughput(r)).toMatch(/2 process\(es\) x 1 thread\(s\): [\d.]+ examples\/s/);
  });

  it("rejects an unknown shape by name", async () => {
    await expect(measureAccelerateThroughput({ shape: "huge" as "tiny" })).rejects.toThrow(/unknown shape "huge"; use one of tiny, mini, small/);
  });
});
