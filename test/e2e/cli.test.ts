// The `kit` command as a user runs it (node bin/kit.mjs): --help lists every flag, and bad input gets one
// clear line naming the flag or file and the fix, with exit code 2 for usage errors, 1 for failures.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const KIT = join(import.meta.dirname, "..", "..", "bin", "kit.mjs");
const root = mkdtempSync(join(tmpdir(), "kit-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function kit(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [KIT, ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("kit --help", () => {
  it("kit train --help lists every flag of the brief and exits 0", () => {
    const r = kit("train", "--help");
    expect(r.code).toBe(0);
    for (const flag of ["--preset", "--optim", "--epochs", "--lr", "--seed", "--max-steps", "--output-dir", "--save-steps", "--resume", "--backend", "--dropout", "--init-head", "--export-batch-order"]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toContain("adamw_torch");
    expect(r.stdout).toContain("1377");
  });

  it("kit --help lists the commands; kit evaluate --help explains its argument", () => {
    const main = kit("--help");
    expect(main.code).toBe(0);
    for (const c of ["train", "evaluate", "bench", "docs", "accelerate"]) expect(main.stdout).toContain(c);
    const ev = kit("evaluate", "--help");
    expect(ev.code).toBe(0);
    expect(ev.stdout).toContain("runs/<id>");
  });
});

describe("bad input", () => {
  it("an unknown flag is named, with the valid ones", () => {
    const r = kit("train", "--learning-rate", "1e-3");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option --learning-rate");
    expect(r.stderr).toContain("--lr");
  });

  it("bad values: a non-number, a preset that does not exist, a missing value, a zero step count", () => {
    const lr = kit("train", "--lr", "fast");
    expect(lr.code).toBe(2);
    expect(lr.stderr).toContain('--lr expects a number, got "fast"');
    const preset = kit("train", "--preset", "huge");
    expect(preset.code).toBe(2);
    expect(preset.stderr).toMatch(/--preset "huge" is not valid; choose one of: tiny, tiny-pretrained, course/);
    const missing = kit("train", "--seed");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--seed needs a value");
    const zero = kit("train", "--max-steps", "0");
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain("--max-steps must be at least 1");
  });

  it("an unknown command, and --resume with settings it would ignore", () => {
    const cmd = kit("trian");
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toContain('Unknown command "trian"');
    const resume = kit("train", "--resume", "runs/x", "--lr", "1e-3");
    expect(resume.code).toBe(2);
    expect(resume.stderr).toContain("remove --lr");
  });

  it("evaluate: a folder that is not a finished run names the missing file", () => {
    const r = kit("evaluate", join(root, "nothing-here"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(join(root, "nothing-here", "config.json"));
    expect(r.stderr).toContain("not a finished run");
    const none = kit("evaluate");
    expect(none.code).toBe(2);
  });

  it("--preset tiny-pretrained without its files (offline) names the places looked in and the way out", () => {
    const r = spawnSync(process.execPath, [KIT, "train", "--preset", "tiny-pretrained", "--output-dir", join(root, "tp")], {
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, HF_HUB_OFFLINE: "1", HF_HUB_CACHE: join(root, "empty-cache") },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Preset "tiny-pretrained" needs the files of google/bert_uncased_L-2_H-128_A-2');
    expect(r.stderr).toContain("mirror:");
    expect(r.stderr).toContain("--preset tiny");
  });

  it("--resume of a folder without a checkpoint says what it found and why", () => {
    const r = kit("train", "--resume", root);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no checkpoint-<step> folder");
  });
});
