// A NaN or infinite loss stops training with an error naming the step, before that step's update reaches
// the weights; the checkpoint of the last good step is there and holds finite weights.
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { readRunRecord } from "../../src/training/run-record";
import { train } from "../../src/training/train";
import { NonFiniteLossError } from "../../src/training/training-run";
import { readSafetensors } from "../../src/utils/safetensors";

const root = mkdtempSync(join(tmpdir(), "kit-nan-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it("a learning rate of 1e30 blows the loss up; training stops naming the step, with the last good step saved", async () => {
  const dir = join(root, "run");
  const err = await train({ lr: 1e30, maxSteps: 10, outputDir: dir, quiet: true }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NonFiniteLossError);
  const { step, loss, checkpoint } = err as NonFiniteLossError;
  expect(Number.isFinite(loss)).toBe(false);
  // Step 1 runs on the initial weights (finite loss); the first update at lr 1e30 overflows float32.
  expect(step).toBeGreaterThanOrEqual(2);
  expect((err as Error).message).toContain(`step ${step}`);
  expect(checkpoint).toBe(join(dir, `checkpoint-${step - 1}`));
  expect(readdirSync(dir).filter((n) => n.startsWith("checkpoint-"))).toEqual([`checkpoint-${step - 1}`]);
  // The checkpoint is the last good step: weights as they were after step - 1, all finite.
  const { tensors } = await readSafetensors(join(checkpoint!, "model.safetensors"));
  for (const [name, t] of tensors) {
    const data = t.data as Float32Array;
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) throw new Error(`${name}[${i}] is ${data[i]}`);
  }
  const record = await readRunRecord(join(dir, "run-record.json"));
  expect(record.status).toBe("failed");
  expect(record.steps.loss).toHaveLength(step - 1);
  expect(record.error).toMatch(new RegExp(`step ${step}`));
  expect(existsSync(join(dir, "model.safetensors"))).toBe(false);
});
