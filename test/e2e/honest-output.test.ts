// Output that must not mislead: each command's --help states the default that command uses, and chapter 08
// speaks of SST-2, not of MRPC. (The resumed bar's rate: test/progress.test.ts; the resumed summary:
// test/training-run/resume.test.ts.)
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { ACCELERATE_LR } from "../../chapters/07-accelerate";
import { sst2Notice } from "../../chapters/08-sst2";
import { hyperparameters } from "../../src/training/presets";

const ROOT = join(import.meta.dirname, "..", "..");
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

function lrHelpLine(script: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, ["--import", TSX, join(ROOT, script), ...args, "--help"], { encoding: "utf8", timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  const line = r.stdout.split("\n").find((l) => l.trimStart().startsWith("--lr "));
  expect(line, r.stdout).toBeDefined();
  return line!;
}

describe("--help states the default the command uses", () => {
  it("chapter 07 (the course's Accelerate block, lr 3e-5): its --lr default is the one run() takes", () => {
    expect(ACCELERATE_LR).toBe(3e-5);
    const line = lrHelpLine("chapters/07-accelerate.ts");
    expect(line).toContain("(default 3e-5)");
    expect(line).not.toContain("5e-5");
  });

  it("kit train: the course's plain loop, lr 5e-5, as hyperparameters() defaults it", () => {
    expect(hyperparameters().lr).toBe(5e-5);
    expect(lrHelpLine("src/cli.ts", "train")).toContain("(default 5e-5)");
  });
});

describe("chapter 08's banner", () => {
  it("speaks of SST-2 and its majority class, counted from the labels given", () => {
    // 3 positive of 4: the majority class scores 0.750.
    const notice = sst2Notice(hyperparameters({ preset: "tiny" }), [1, 0, 1, 1]);
    expect(notice).toContain("SST-2");
    expect(notice).toContain("accuracy 0.750");
    expect(notice).not.toContain("MRPC");
    const pretrained = sst2Notice(hyperparameters({ preset: "tiny-pretrained" }), [0, 0, 1]);
    expect(pretrained).toContain("SST-2");
    expect(pretrained).not.toContain("MRPC");
  });
});
