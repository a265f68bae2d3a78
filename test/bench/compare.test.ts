// npm run compare's verdict and table (bench/compare.ts): the paired run's 1% loss contract must catch a
// deviation inside the first 200 steps and only there; a run that did not finish is refused, not tabulated.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { comparisonTable, kitSide, lossAgreement, pythonSide, type SideResult } from "../../bench/compare";

const losses = (n: number): number[] => Array.from({ length: n }, (_, i) => 0.7 - i / 1000);

describe("npm run compare", () => {
  it("finds the largest relative loss difference in the first 200 steps, and ignores later ones", () => {
    const python = losses(300);
    const kit = [...python];
    kit[149] = python[149]! * 1.02; // step 150: 2% off
    kit[249] = python[249]! * 1.5; // step 250: outside the contract's window
    const a = lossAgreement(kit, python);
    expect(a.compared).toBe(200);
    expect(a.atStep).toBe(150);
    expect(a.maxRelDiff).toBeCloseTo(0.02, 10);
  });

  it("a NaN loss counts as a disagreement", () => {
    const python = losses(10);
    const kit = [...python];
    kit[3] = Number.NaN;
    expect(lossAgreement(kit, python).atStep).toBe(4);
  });

  it("says OUTSIDE when the paired losses differ by more than 1%", () => {
    const side = (name: string, l: number[]): SideResult => ({ side: name, accuracy: 0.8, f1: 0.86, steps: l.length, secondsPerStep: 0.5, totalSeconds: 700, losses: l });
    const python = losses(200);
    const kit = python.map((x, i) => (i === 10 ? x * 1.011 : x));
    expect(comparisonTable([side("kit", kit), side("py", python)], true)).toMatch(/step 11; contract <= 0.01\): OUTSIDE/);
    expect(comparisonTable([side("kit", python), side("py", python)], true)).toMatch(/: within\./);
  });

  it("reads both records, and refuses a kit run that did not complete", () => {
    const dir = mkdtempSync(join(tmpdir(), "kit-compare-"));
    const kitRecord = { status: "completed", numTrainingSteps: 2, backend: "wasm", steps: { loss: [0.7, 0.6] }, evaluation: { metrics: { accuracy: 0.81, f1: 0.87 } }, timing: { trainSeconds: 1, wallSeconds: 3 } };
    writeFileSync(join(dir, "kit.json"), JSON.stringify(kitRecord));
    writeFileSync(join(dir, "py.json"), JSON.stringify({ accuracy: 0.82, f1: 0.88, steps_done: 2, seconds_per_step: 0.4, total_seconds: 2, losses: [0.7, 0.6], torch: "2.13.0", threads: 2 }));
    const kit = kitSide(join(dir, "kit.json"));
    expect([kit.accuracy, kit.f1, kit.secondsPerStep]).toEqual([0.81, 0.87, 0.5]);
    const table = comparisonTable([kit, pythonSide(join(dir, "py.json"))], false);
    expect(table).toContain("| 0.8100 | 0.8700 | 2 | 500 ms |");
    expect(table).toContain("accuracy -0.0100, F1 -0.0100");
    writeFileSync(join(dir, "kit.json"), JSON.stringify({ ...kitRecord, status: "interrupted" }));
    expect(() => kitSide(join(dir, "kit.json"))).toThrow(/"interrupted", not a completed run/);
  });
});
