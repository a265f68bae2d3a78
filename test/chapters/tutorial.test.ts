// `npm start` (chapters/tutorial.ts) as a reader runs it: --help, a short run that leaves the run folder and
// its record, Ctrl-C that checkpoints and --resume that finishes the run; and chapter 06 evaluating that saved
// run (--run-dir), or saying clearly that a folder holds no saved model.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { RunRecord } from "../../src/training/run-record";
import { TUTORIAL_PRESET } from "../../src/training/presets";
import { interruptAtStep } from "../helpers/interrupt";

const ROOT = join(import.meta.dirname, "..", "..");
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const TUTORIAL = join(ROOT, "chapters", "tutorial.ts");
const CHAPTER_06 = join(ROOT, "chapters", "06-evaluation-loop.ts");
const root = mkdtempSync(join(tmpdir(), "kit-tutorial-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function node(script: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", TSX, script, ...args], { encoding: "utf8", timeout: 180_000, env: { ...process.env, KIT_DEBUG: "" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const record = (dir: string): RunRecord => JSON.parse(readFileSync(join(dir, "run-record.json"), "utf8")) as RunRecord;

describe("npm start: chapters/tutorial.ts", () => {
  it("package.json's start script runs it", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe("node --import tsx chapters/tutorial.ts");
  });

  it("--help names the chapters, the pretrained preset and the run's flags", () => {
    const r = node(TUTORIAL, "--help");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Chapters 01 to 06");
    expect(r.stdout).toContain(TUTORIAL_PRESET);
    for (const flag of ["--preset", "--max-steps", "--output-dir", "--resume", "--save-steps", "--backend"]) expect(r.stdout).toContain(flag);
  });

  it("a stray argument is one line and exit 2", () => {
    const r = node(TUTORIAL, "mrpc");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unexpected argument "mrpc"');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it("Ctrl-C checkpoints the last completed step; --resume finishes the run, evaluates it and saves it", async () => {
    const dir = join(root, "run");
    const { code, stderr, sent } = await interruptAtStep(["--import", TSX, TUTORIAL, "--preset", "tiny", "--max-steps", "12", "--output-dir", dir], 4, 12);
    expect(sent, stderr).toBe(true);
    expect(code, stderr).toBe(130);
    const step = Number(/Training interrupted by SIGINT after step (\d+)\. Checkpoint: /.exec(stderr)?.[1]);
    expect(step).toBeGreaterThanOrEqual(4);
    expect(readdirSync(dir)).toContain(`checkpoint-${step}`);
    expect(record(dir).status).toBe("interrupted");

    const resumed = node(TUTORIAL, "--resume", dir, "--quiet");
    expect(resumed.code, resumed.stderr).toBe(0);
    const done = record(dir);
    expect(done.status).toBe("completed");
    expect(done.resumedAt).toEqual([step]);
    expect(done.steps.loss).toHaveLength(12);
    expect(done.evaluation!.predictions).toHaveLength(408);
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(["model.safetensors", "config.json", "run-record.json"]));
    expect(readdirSync(dir).filter((n) => n.startsWith("checkpoint-"))).toEqual([]);

    // Chapter 06 evaluates the saved run: the metrics the run recorded, again.
    const evaluated = node(CHAPTER_06, "--run-dir", dir);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const { accuracy, f1 } = done.evaluation!.metrics as { accuracy: number; f1: number };
    expect(evaluated.stdout).toContain(`accuracy: ${accuracy}`);
    expect(evaluated.stdout).toContain(`f1: ${f1}`);
  }, 300_000);
});

describe("chapter 06 --run-dir", () => {
  it("a folder without a saved model: one line naming the missing file and the way out, exit 1", () => {
    const empty = join(root, "empty");
    mkdirSync(empty);
    const r = node(CHAPTER_06, "--run-dir", empty);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(empty, "config.json")} not found`);
    expect(r.stderr).toContain("npm start");
    expect(r.stderr.match(/error:/g)).toHaveLength(1);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it("without --run-dir: says which flag is missing, exit 2", () => {
    const r = node(CHAPTER_06);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--run-dir is missing");
  });
});
