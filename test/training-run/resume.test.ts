// Resume: a run interrupted after step 5 of 12 and resumed from its checkpoint ends with bitwise the same
// weights (and the same per-step losses and learning rates) as the same run never interrupted.
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { readTrainerState } from "../../src/training/checkpoint";
import { train } from "../../src/training/train";
import { TrainingInterruptedError } from "../../src/training/training-run";
import { interruptAtStep } from "../helpers/interrupt";

const KIT = join(import.meta.dirname, "..", "..", "bin", "kit.mjs");
const root = mkdtempSync(join(tmpdir(), "kit-resume-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const common = { maxSteps: 12, quiet: true, evaluate: false } as const;
let straight: Awaited<ReturnType<typeof train>>;

beforeAll(async () => {
  straight = await train({ ...common, outputDir: join(root, "straight") });
});

describe("an interrupted run resumes bit for bit", () => {
  it("stops after step 5 with a checkpoint of step 5, then ends with the same weights as an uninterrupted run", async () => {
    const dir = join(root, "interrupted");
    const err = await train({
      ...common,
      outputDir: dir,
      onStepEnd: (step, run) => {
        if (step === 5) run.requestStop("SIGINT");
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingInterruptedError);
    expect((err as TrainingInterruptedError).step).toBe(5);
    expect(readdirSync(dir).filter((n) => n.startsWith("checkpoint-"))).toEqual(["checkpoint-5"]);
    expect(readdirSync(dir).some((n) => n.endsWith(".tmp"))).toBe(false);
    const state = await readTrainerState(join(dir, "checkpoint-5"));
    expect(state.step).toBe(5);
    expect(state.dataloader).toEqual({ epoch: 0, batchIndex: 5 });
    expect(state.record.steps.loss).toHaveLength(5);
    expect(existsSync(join(dir, "model.safetensors"))).toBe(false);

    const resumed = await train({ resume: dir, quiet: true, evaluate: false });
    expect(resumed.record.resumedAt).toEqual([5]);
    expect(resumed.record.steps.loss).toEqual(straight.record.steps.loss);
    expect(resumed.record.steps.lr).toEqual(straight.record.steps.lr);
    expect(resumed.record.steps.loss).toHaveLength(12);
    const a = readFileSync(join(straight.runDir, "model.safetensors"));
    const b = readFileSync(join(dir, "model.safetensors"));
    expect(b.equals(a)).toBe(true);
    // A finished run keeps its model, not its checkpoints.
    expect(readdirSync(dir).filter((n) => n.startsWith("checkpoint-"))).toEqual([]);
  });

  it("--save-steps: after a hard kill, the periodic checkpoint resumes to the same weights", async () => {
    const dir = join(root, "save-steps");
    let listedAtStep9: string[] = [];
    const err = await train({
      ...common,
      outputDir: dir,
      saveSteps: 4,
      onStepEnd: (step) => {
        if (step === 9) {
          listedAtStep9 = readdirSync(dir).filter((n) => n.startsWith("checkpoint"));
          // What a SIGKILL now would leave behind: checkpoint-8 and nothing newer.
          cpSync(join(dir, "checkpoint-8"), join(root, "kept-checkpoint-8"), { recursive: true });
          throw new Error("simulated crash after step 9");
        }
      },
    }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/simulated crash/);
    // Every 4 steps, only the newest kept: at step 9 the folder holds checkpoint-8 alone.
    expect(listedAtStep9).toEqual(["checkpoint-8"]);
    // The error path checkpointed step 9 (and dropped 8); put the folder back as a SIGKILL would have left it.
    expect(readdirSync(dir).filter((n) => n.startsWith("checkpoint-"))).toEqual(["checkpoint-9"]);
    rmSync(join(dir, "checkpoint-9"), { recursive: true });
    renameSync(join(root, "kept-checkpoint-8"), join(dir, "checkpoint-8"));

    const resumed = await train({ resume: dir, quiet: true, evaluate: false });
    expect(resumed.record.resumedAt).toEqual([8]);
    expect(resumed.record.steps.loss).toEqual(straight.record.steps.loss);
    expect(readFileSync(join(dir, "model.safetensors")).equals(readFileSync(join(straight.runDir, "model.safetensors")))).toBe(true);
  });

  it("a real SIGINT to `node bin/kit.mjs train` checkpoints the last completed step; resuming it ends bitwise equal", async () => {
    const dir = join(root, "sigint");
    const { code, stderr, sent } = await interruptAtStep([KIT, "train", "--max-steps", "12", "--output-dir", dir], 4, 12);
    expect(sent).toBe(true);
    expect(code).toBe(130);
    expect(stderr).toMatch(/Training interrupted by SIGINT after step (\d+)\. Checkpoint: .*checkpoint-\1\. Continue with: npx kit train --resume /);
    const step = Number(/after step (\d+)/.exec(stderr)![1]);
    expect(step).toBeGreaterThanOrEqual(4);
    expect(step).toBeLessThan(12);
    expect(readdirSync(dir).filter((n) => n.startsWith("checkpoint-"))).toEqual([`checkpoint-${step}`]);

    const resumed = await train({ resume: dir, quiet: true, evaluate: false });
    expect(resumed.record.resumedAt).toEqual([step]);
    expect(resumed.record.steps.loss).toEqual(straight.record.steps.loss);
    expect(readFileSync(join(dir, "model.safetensors")).equals(readFileSync(join(straight.runDir, "model.safetensors")))).toBe(true);
  });

  it("a failure after the last step (evaluation, saving) keeps the training: --resume only evaluates and saves", async () => {
    const dir = join(root, "after-training");
    let listed: string[] = [];
    const err = await train({
      ...common,
      outputDir: dir,
      onTrainingDone: () => {
        listed = readdirSync(dir).filter((n) => n.startsWith("checkpoint"));
        throw new Error("simulated kill during evaluation");
      },
    }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/simulated kill during evaluation/);
    expect(String(err)).toMatch(/Training had finished: step 12 is saved in .*checkpoint-12\. Evaluate and save it with npx kit train --resume /);
    // Written before evaluation began: a SIGKILL there would have left it too.
    expect(listed).toEqual(["checkpoint-12"]);
    expect(existsSync(join(dir, "model.safetensors"))).toBe(false);

    const resumed = await train({ resume: dir, quiet: true, evaluate: false });
    expect(resumed.record.resumedAt).toEqual([12]);
    // Not one step more: the losses and the weights are those of the uninterrupted 12-step run.
    expect(resumed.record.steps.loss).toEqual(straight.record.steps.loss);
    expect(resumed.record.status).toBe("completed");
    expect(readFileSync(join(dir, "model.safetensors")).equals(readFileSync(join(straight.runDir, "model.safetensors")))).toBe(true);
    expect(readdirSync(dir).filter((n) => n.startsWith("checkpoint-"))).toEqual([]);
  });

  it("a resumed run's summary counts only the steps it ran", async () => {
    const dir = join(root, "summary");
    await train({ ...common, maxSteps: 3, outputDir: dir, onStepEnd: (step, run) => step === 2 && run.requestStop("SIGINT") }).catch(() => {});
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((m: unknown) => void lines.push(String(m)));
    try {
      await train({ resume: dir, evaluate: false });
    } finally {
      spy.mockRestore();
    }
    const summary = lines.find((l) => l.startsWith("backend "));
    expect(summary, lines.join("\n")).toMatch(/; 1 steps in [\d.]+ s \(steps 3 to 3 of a resumed run\)/);
  });

  it("refuses to start a fresh run over an unfinished one, and to resume a folder without checkpoints", async () => {
    await expect(train({ resume: join(root, "nowhere"), quiet: true })).rejects.toThrow(/no such folder/);
    await expect(train({ resume: straight.runDir, quiet: true })).rejects.toThrow(/no checkpoint-<step> folder/);
  });
});
