// The chapters' loop and the library's are the same training: chapters/tutorial.ts (chapters 01 to 06, what
// `npm start` runs) and `kit train` (src/training/trainer.ts and the library's set-up), on the tiny preset with
// the same seed and data, give the same loss at every step (===) and the same final weights, byte for byte.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { trainingLoop } from "../../chapters/05-training-loop";
import { evaluationLoop } from "../../chapters/06-evaluation-loop";
import { CHAPTER_STEPS } from "../../chapters/tutorial";
import { LIBRARY_STEPS, train } from "../../src/training/train";

const STEPS = 200;
const root = mkdtempSync(join(tmpdir(), "kit-loops-equal-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("chapters' loop vs the library's loop", () => {
  it("the two step sets are different code: the chapters' functions on one side, the library's on the other", () => {
    expect(CHAPTER_STEPS.trainingLoop).toBe(trainingLoop);
    expect(CHAPTER_STEPS.evaluationLoop).toBe(evaluationLoop);
    expect(LIBRARY_STEPS.trainingLoop).not.toBe(trainingLoop);
    expect(LIBRARY_STEPS.setUpTraining).not.toBe(CHAPTER_STEPS.setUpTraining);
  });

  it(`${STEPS} steps of the tiny preset, seed 42: identical losses at every step and identical final weights`, async () => {
    const options = { preset: "tiny" as const, seed: 42, maxSteps: STEPS, quiet: true, evaluate: false };
    const chapters = await train({ ...options, outputDir: join(root, "chapters") }, CHAPTER_STEPS);
    const library = await train({ ...options, outputDir: join(root, "library") }, LIBRARY_STEPS);
    const a = chapters.record.steps;
    const b = library.record.steps;
    expect(a.loss).toHaveLength(STEPS);
    expect(b.loss).toHaveLength(STEPS);
    const firstDifferent = a.loss.findIndex((l, i) => l !== b.loss[i]);
    expect(firstDifferent, `step ${firstDifferent + 1}: chapters ${a.loss[firstDifferent]} vs library ${b.loss[firstDifferent]}`).toBe(-1);
    expect(a.lr).toEqual(b.lr);
    // The loss moved: a run that did not train would make equal records trivially.
    expect(Math.min(...a.loss.slice(-20))).toBeLessThan(a.loss[0]!);
    const weights = (run: string) => readFileSync(join(root, run, "model.safetensors"));
    expect(weights("chapters").length).toBeGreaterThan(4_000_000 * 4);
    expect(weights("chapters").equals(weights("library"))).toBe(true);
  }, 600_000); // ~1 min on an idle 2-core machine; the limit only catches a hang (a loaded machine took 4 min)
});
