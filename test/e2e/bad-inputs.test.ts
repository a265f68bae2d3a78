// Bad inputs as a new user makes them, one table: for each, the command (kit, a chapter or the accelerate
// launcher), its environment and files, and what must hold: exit code != 0, ONE line on stderr naming the
// culprit (flag, variable, file, field) and the fix, no stack trace, and nothing lost (listed files unchanged,
// a crash's leftovers gone). Most cases fail before any data or model loads, so they run concurrently.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
// The CLI itself, without bin/kit.mjs's wrapper process (test/e2e/cli.test.ts covers that): one node start a case.
const CLI = join(ROOT, "src", "cli.ts");
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const root = mkdtempSync(join(tmpdir(), "kit-bad-inputs-"));
const mounts: string[] = [];

type Category = "flag" | "environment" | "file" | "config" | "checkpoint" | "yaml" | "output folder" | "hub mirror";

type Case = {
  name: string;
  category: Category;
  /** Arguments of `kit`, or of the chapter script given in `chapter`; "{dir}" is the case's own folder (also its cwd). */
  args: string[];
  chapter?: string;
  env?: Record<string, string>;
  /** Files of the case's folder, written before the run (path relative to it -> content). */
  files?: Record<string, string>;
  /** More preparation of the folder. */
  setup?: (dir: string) => void;
  /** Text the error line must contain: the flag, variable, file or field at fault ("{dir}" as above). */
  culprit: string;
  /** What the error line must say to do. */
  fix: RegExp;
  /** Exact exit code where the kit promises one (2: usage error). */
  code?: number;
  /**
   * The message goes on after its first line (the places a Hub file was looked for): the first line names the
   * culprit, the fix may come later.
   */
  detailed?: boolean;
  /** Files (relative to the folder) whose bytes must not change. */
  untouched?: string[];
  /** Files that must be gone after the run (a crash's leftovers). */
  gone?: string[];
  /** Files that must not exist after the run (nothing written on bad input). */
  absent?: string[];
};

const finishedRun = { "run/model.safetensors": "weights", "run/run-record.json": '{"status":"completed"}', "run/config.json": "{}" };
const validTrainerState = (patch: (s: Record<string, unknown>) => void): string => {
  const state: Record<string, unknown> = {
    step: 3,
    numTrainingSteps: 10,
    dataloader: {},
    generator: {},
    scheduler: {},
    optimizer: { paramGroups: [], steps: {} },
    record: { hyperparameters: {}, steps: { loss: [], lr: [] }, resumedAt: [] },
  };
  patch(state);
  return JSON.stringify(state);
};
/** A run folder whose latest checkpoint holds this trainer_state.json. */
const checkpointWith = (trainerState: string): Record<string, string> => ({ "run/checkpoint-3/trainer_state.json": trainerState });

/** A saved run of a small BERT (written in beforeAll) whose config.json gets one field changed. */
const SMALL_CONFIG = {
  architectures: ["BertForSequenceClassification"],
  attention_probs_dropout_prob: 0.1,
  hidden_act: "gelu",
  hidden_dropout_prob: 0.1,
  hidden_size: 8,
  initializer_range: 0.02,
  intermediate_size: 16,
  layer_norm_eps: 1e-12,
  max_position_embeddings: 64,
  model_type: "bert",
  num_attention_heads: 2,
  num_hidden_layers: 2,
  pad_token_id: 0,
  type_vocab_size: 2,
  vocab_size: 100,
};
let savedWeights = "";
const savedRunWith = (config: unknown): CaseSetup => (dir) => {
  mkdirSync(join(dir, "run"), { recursive: true });
  writeFileSync(join(dir, "run", "model.safetensors"), readFileSync(savedWeights));
  writeFileSync(join(dir, "run", "config.json"), typeof config === "string" ? config : JSON.stringify(config));
};
type CaseSetup = (dir: string) => void;
const configField = (field: string, value: unknown): CaseSetup => savedRunWith({ ...SMALL_CONFIG, [field]: value });

const accelerateConfig = (yaml: string): Record<string, string> => ({ "accelerate.yaml": yaml, "script.mjs": "" });

/** Offline, with the case's own mirror and an empty cache. */
const MIRROR_ENV = { HF_HUB_OFFLINE: "1", HF_HUB_CACHE: "{dir}/cache", KIT_HUB_MIRROR: "{dir}/mirror" };
const SHARED_HUB = join(ROOT, "..", "shared", "hub");
/** A mirror with the real MRPC and nothing else: the model's files are what is missing. */
const mirrorWithMrpcOnly: CaseSetup = (dir) => {
  mkdirSync(join(dir, "mirror", "datasets", "nyu-mll", "glue"), { recursive: true });
  symlinkSync(join(SHARED_HUB, "datasets", "nyu-mll", "glue", "mrpc"), join(dir, "mirror", "datasets", "nyu-mll", "glue", "mrpc"));
};

/** A mirror with the real MRPC and bert-base-uncased, except one file of the model repo replaced. */
const mirrorWith = (file: string, content: string): CaseSetup => (dir) => {
  const mirror = join(dir, "mirror");
  mkdirSync(join(mirror, "datasets", "nyu-mll", "glue"), { recursive: true });
  symlinkSync(join(SHARED_HUB, "datasets", "nyu-mll", "glue", "mrpc"), join(mirror, "datasets", "nyu-mll", "glue", "mrpc"));
  cpSync(join(SHARED_HUB, "models", "bert-base-uncased"), join(mirror, "models", "bert-base-uncased"), { recursive: true });
  writeFileSync(join(mirror, "models", "bert-base-uncased", file), content);
};

/** A folder nobody can write in: chmod for a user; root ignores modes, so a read-only tmpfs. */
function readOnlyFolder(dir: string): void {
  const path = join(dir, "ro");
  mkdirSync(path);
  if (process.getuid?.() !== 0) {
    chmodSync(path, 0o555);
    return;
  }
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", path], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`as root, the read-only case mounts a read-only tmpfs, which failed: ${r.stderr}`);
  mounts.push(path);
}

const CASES: Case[] = [
  // ---- flags ----
  { name: "--threads 9", category: "flag", args: ["train", "--threads", "9"], culprit: "--threads 9", fix: /1 to 4/, code: 2 },
  { name: "--threads 0", category: "flag", args: ["train", "--threads", "0"], culprit: "--threads 0", fix: /1 to 4/, code: 2 },
  { name: "--threads two", category: "flag", args: ["train", "--threads", "two"], culprit: "--threads", fix: /expects a number/, code: 2 },
  { name: "--threads 1.5", category: "flag", args: ["train", "--threads", "1.5"], culprit: "--threads", fix: /integer/, code: 2 },
  { name: "--lr fast", category: "flag", args: ["train", "--lr", "fast"], culprit: "--lr", fix: /expects a number/, code: 2 },
  { name: "--lr -1", category: "flag", args: ["train", "--lr=-1"], culprit: "--lr", fix: /positive number/, code: 2 },
  { name: "--lr 0", category: "flag", args: ["train", "--lr", "0"], culprit: "--lr", fix: /positive number/, code: 2 },
  { name: "--epochs 0", category: "flag", args: ["train", "--epochs", "0"], culprit: "--epochs", fix: /at least 1/, code: 2 },
  { name: "--epochs 2.5", category: "flag", args: ["train", "--epochs", "2.5"], culprit: "--epochs", fix: /integer/, code: 2 },
  { name: "--seed -1", category: "flag", args: ["train", "--seed=-1"], culprit: "--seed", fix: /at least 0/, code: 2 },
  { name: "--max-steps 0", category: "flag", args: ["train", "--max-steps", "0"], culprit: "--max-steps", fix: /at least 1/, code: 2 },
  { name: "--save-steps 0", category: "flag", args: ["train", "--save-steps", "0"], culprit: "--save-steps", fix: /at least 1/, code: 2 },
  { name: "--preset huge", category: "flag", args: ["train", "--preset", "huge"], culprit: "--preset", fix: /choose one of: tiny/, code: 2 },
  { name: "--optim sgd", category: "flag", args: ["train", "--optim", "sgd"], culprit: "--optim", fix: /choose one of/, code: 2 },
  { name: "--backend gpu", category: "flag", args: ["train", "--backend", "gpu"], culprit: "--backend", fix: /choose one of: tensorflow-gpu/, code: 2 },
  { name: "unknown --learning-rate", category: "flag", args: ["train", "--learning-rate", "1e-3"], culprit: "--learning-rate", fix: /--lr/, code: 2 },
  { name: "--seed without a value", category: "flag", args: ["train", "--seed"], culprit: "--seed", fix: /needs a value/, code: 2 },
  { name: "--quiet=yes", category: "flag", args: ["train", "--quiet=yes"], culprit: "--quiet", fix: /takes no value/, code: 2 },
  { name: "--output-dir ''", category: "flag", args: ["train", "--output-dir="], culprit: "--output-dir", fix: /non-empty/, code: 2 },
  { name: "a stray argument", category: "flag", args: ["train", "extra"], culprit: '"extra"', fix: /takes only options/, code: 2 },
  { name: "an unknown command", category: "flag", args: ["trian"], culprit: '"trian"', fix: /Commands: train/, code: 2 },
  { name: "--resume with --lr", category: "flag", args: ["train", "--resume", "run", "--lr", "1e-3"], culprit: "--lr", fix: /remove --lr/, code: 2 },
  { name: "--resume with --overwrite", category: "flag", args: ["train", "--resume", "run", "--overwrite"], culprit: "--overwrite", fix: /remove --overwrite/, code: 2 },
  { name: "evaluate with two folders", category: "flag", args: ["evaluate", "a", "b"], culprit: "got 2", fix: /runs\/<id>/, code: 2 },
  { name: "evaluate --threads 9", category: "flag", args: ["evaluate", "run", "--threads", "9"], culprit: "--threads 9", fix: /1 to 4/, code: 2 },
  { name: "chapter 08 --threads 9", category: "flag", chapter: "08-sst2.ts", args: ["--threads", "9"], culprit: "--threads 9", fix: /1 to 4/, code: 2 },
  { name: "chapter 07 --lr fast", category: "flag", chapter: "07-accelerate.ts", args: ["--lr", "fast"], culprit: "--lr", fix: /expects a number/, code: 2 },
  { name: "chapter 01 stray argument", category: "flag", chapter: "01-preprocessing.ts", args: ["mrpc"], culprit: '"mrpc"', fix: /Usage|usage|npm|tsx/, code: 2 },
  // ---- environment ----
  { name: "KIT_WASM_THREADS=abc", category: "environment", args: ["train"], env: { KIT_WASM_THREADS: "abc" }, culprit: "KIT_WASM_THREADS=abc", fix: /from 1 to 4/, code: 2 },
  { name: "KIT_WASM_THREADS=0", category: "environment", args: ["train"], env: { KIT_WASM_THREADS: "0" }, culprit: "KIT_WASM_THREADS=0", fix: /from 1 to 4/, code: 2 },
  { name: "KIT_WASM_THREADS=99", category: "environment", args: ["train"], env: { KIT_WASM_THREADS: "99" }, culprit: "KIT_WASM_THREADS=99", fix: /from 1 to 4/, code: 2 },
  { name: "KIT_WASM_THREADS=2.5", category: "environment", args: ["train"], env: { KIT_WASM_THREADS: "2.5" }, culprit: "KIT_WASM_THREADS=2.5", fix: /from 1 to 4/, code: 2 },
  { name: "KIT_WASM_THREADS=-1 on evaluate", category: "environment", args: ["evaluate", "run"], env: { KIT_WASM_THREADS: "-1" }, culprit: "KIT_WASM_THREADS=-1", fix: /from 1 to 4/, code: 2 },
  { name: "KIT_BACKEND=gpu", category: "environment", args: ["train"], env: { KIT_BACKEND: "gpu" }, culprit: "KIT_BACKEND=gpu", fix: /one of tensorflow-gpu, webgpu, tensorflow, wasm, cpu/, code: 2 },
  { name: "KIT_BACKEND=gpu in chapter 08", category: "environment", chapter: "08-sst2.ts", args: [], env: { KIT_BACKEND: "gpu" }, culprit: "KIT_BACKEND=gpu", fix: /one of tensorflow-gpu/, code: 2 },
  { name: "KIT_BACKEND=webgl in chapter 03", category: "environment", chapter: "03-model.ts", args: [], env: { KIT_BACKEND: "webgl" }, culprit: "KIT_BACKEND=webgl", fix: /one of tensorflow-gpu/, code: 2 },
  { name: "KIT_WASM_THREADS=abc in chapter 05", category: "environment", chapter: "05-training-loop.ts", args: [], env: { KIT_WASM_THREADS: "abc" }, culprit: "KIT_WASM_THREADS=abc", fix: /from 1 to 4/, code: 2 },
  { name: "KIT_WASM_THREADS=abc under the launcher", category: "environment", args: ["accelerate", "launch", "--num-processes", "2", "script.mjs"], files: { "script.mjs": "" }, env: { KIT_WASM_THREADS: "abc" }, culprit: "KIT_WASM_THREADS=abc", fix: /from 1 to 4/ },
  { name: "KIT_EXCHANGE=tcp under the launcher", category: "environment", args: ["accelerate", "launch", "--num-processes", "2", "script.mjs"], files: { "script.mjs": "" }, env: { KIT_EXCHANGE: "tcp" }, culprit: "KIT_EXCHANGE=tcp", fix: /expected "shm" .* or "socket"/ },
  // ---- output folder ----
  { name: "--output-dir /proc/nope", category: "output folder", args: ["train", "--output-dir", "/proc/nope"], culprit: "/proc/nope", fix: /choose a folder you can write to/ },
  { name: "--output-dir a file", category: "output folder", args: ["train", "--output-dir", "afile"], files: { afile: "x" }, culprit: "{dir}/afile", fix: /is a file, not a folder; choose another --output-dir/, untouched: ["afile"] },
  { name: "--output-dir under a file", category: "output folder", args: ["train", "--output-dir", "afile/run"], files: { afile: "x" }, culprit: "{dir}/afile", fix: /is a file, not a folder/, untouched: ["afile"] },
  { name: "--output-dir a finished run", category: "output folder", args: ["train", "--output-dir", "run"], files: finishedRun, culprit: "{dir}/run", fix: /holds a finished run.*--overwrite/, untouched: Object.keys(finishedRun) },
  { name: "--output-dir a finished run, other flags", category: "output folder", args: ["train", "--output-dir", "run", "--max-steps", "5"], files: finishedRun, culprit: "{dir}/run", fix: /--overwrite/, untouched: Object.keys(finishedRun) },
  { name: "--output-dir in a read-only folder", category: "output folder", args: ["train", "--output-dir", "ro/run"], setup: readOnlyFolder, culprit: "{dir}/ro", fix: /choose a folder you can write to/ },
  { name: "--output-dir a read-only folder", category: "output folder", args: ["train", "--output-dir", "ro"], setup: readOnlyFolder, culprit: "{dir}/ro", fix: /choose a folder you can write to/ },
  { name: "unfinished run without --resume; a crash's .tmp removed", category: "output folder", args: ["train", "--output-dir", "run"], files: { ...checkpointWith(validTrainerState(() => {})), "run/.checkpoint-4.999.tmp/model.safetensors": "half" }, culprit: "{dir}/run", fix: /--resume/, untouched: ["run/checkpoint-3/trainer_state.json"], gone: ["run/.checkpoint-4.999.tmp"] },
  // ---- checkpoint (--resume) ----
  { name: "--resume a missing folder", category: "checkpoint", args: ["train", "--resume", "nothing"], culprit: "--resume nothing: no such folder", fix: /Pass the folder of a run/ },
  { name: "--resume a folder without checkpoint", category: "checkpoint", args: ["train", "--resume", "run"], files: { "run/notes.txt": "x" }, culprit: "run", fix: /no checkpoint-<step> folder/ },
  { name: "trainer_state.json {}", category: "checkpoint", args: ["train", "--resume", "run"], files: checkpointWith("{}"), culprit: 'trainer_state.json: field "step"', fix: /resume from an earlier one/, untouched: ["run/checkpoint-3/trainer_state.json"] },
  { name: "trainer_state.json []", category: "checkpoint", args: ["train", "--resume", "run"], files: checkpointWith("[]"), culprit: "trainer_state.json: expected a JSON object", fix: /resume from an earlier one/ },
  { name: "trainer_state.json not JSON", category: "checkpoint", args: ["train", "--resume", "run"], files: checkpointWith("{step: 3"), culprit: "trainer_state.json: cannot read", fix: /resume from an earlier one/ },
  { name: "trainer_state.json step \"three\"", category: "checkpoint", args: ["train", "--resume", "run"], files: checkpointWith(validTrainerState((s) => (s.step = "three"))), culprit: 'field "step"', fix: /resume from an earlier one/ },
  { name: "trainer_state.json step past the end", category: "checkpoint", args: ["train", "--resume", "run"], files: checkpointWith(validTrainerState((s) => (s.step = 11))), culprit: 'field "step" (11) is past "numTrainingSteps"', fix: /start a new run/ },
  { name: "trainer_state.json numTrainingSteps 0", category: "checkpoint", args: ["train", "--resume", "run"], files: checkpointWith(validTrainerState((s) => (s.numTrainingSteps = 0))), culprit: 'field "numTrainingSteps"', fix: /resume from an earlier one/ },
  { name: "trainer_state.json without record", category: "checkpoint", args: ["train", "--resume", "run"], files: checkpointWith(validTrainerState((s) => delete s.record)), culprit: 'field "record"', fix: /resume from an earlier one/ },
  { name: "trainer_state.json without optimizer.steps", category: "checkpoint", args: ["train", "--resume", "run"], files: checkpointWith(validTrainerState((s) => (s.optimizer = { paramGroups: [] }))), culprit: 'field "optimizer.steps"', fix: /resume from an earlier one/ },
  { name: "trainer_state.json without hyperparameters", category: "checkpoint", args: ["train", "--resume", "run"], files: checkpointWith(validTrainerState((s) => ((s.record as Record<string, unknown>).hyperparameters = null))), culprit: 'field "record.hyperparameters"', fix: /resume from an earlier one/ },
  { name: "trainer_state.json lr -1", category: "checkpoint", args: ["train", "--resume", "run"], files: checkpointWith(validTrainerState((s) => ((s.record as Record<string, unknown>).hyperparameters = { lr: -1 }))), culprit: 'field "record.hyperparameters": lr', fix: /resume from an earlier one/ },
  { name: "--resume removes a crash's .tmp", category: "checkpoint", args: ["train", "--resume", "run"], files: { ...checkpointWith("{}"), "run/.checkpoint-4.12345.tmp/trainer_state.json": "half" }, culprit: "trainer_state.json", fix: /resume from an earlier one/, gone: ["run/.checkpoint-4.12345.tmp"] },
  // ---- config.json (kit evaluate of a saved run) ----
  { name: "config.json not JSON", category: "config", args: ["evaluate", "run"], setup: savedRunWith("{hidden_size: 8"), culprit: "{dir}/run/config.json: not valid JSON", fix: /restore the file/, untouched: ["run/config.json", "run/model.safetensors"] },
  { name: "config.json an array", category: "config", args: ["evaluate", "run"], setup: savedRunWith("[1, 2]"), culprit: "{dir}/run/config.json: expected a JSON object", fix: /restore the file/ },
  { name: "config.json a string", category: "config", args: ["evaluate", "run"], setup: savedRunWith('"bert"'), culprit: "{dir}/run/config.json: expected a JSON object", fix: /restore the file/ },
  { name: "num_hidden_layers \"two\"", category: "config", args: ["evaluate", "run"], setup: configField("num_hidden_layers", "two"), culprit: "config.json: field num_hidden_layers", fix: /fix that field/ },
  { name: "vocab_size -5", category: "config", args: ["evaluate", "run"], setup: configField("vocab_size", -5), culprit: "config.json: field vocab_size", fix: /fix that field/ },
  { name: "hidden_size 9 with 2 heads", category: "config", args: ["evaluate", "run"], setup: configField("hidden_size", 9), culprit: "hidden_size and num_attention_heads", fix: /fix that field/ },
  { name: "num_attention_heads 0", category: "config", args: ["evaluate", "run"], setup: configField("num_attention_heads", 0), culprit: "config.json: field num_attention_heads", fix: /fix that field/ },
  { name: "hidden_dropout_prob 1.5", category: "config", args: ["evaluate", "run"], setup: configField("hidden_dropout_prob", 1.5), culprit: "config.json: field hidden_dropout_prob", fix: /probability/ },
  { name: "layer_norm_eps 0", category: "config", args: ["evaluate", "run"], setup: configField("layer_norm_eps", 0), culprit: "config.json: field layer_norm_eps", fix: /positive number/ },
  { name: "hidden_act 5", category: "config", args: ["evaluate", "run"], setup: configField("hidden_act", 5), culprit: "config.json: field hidden_act", fix: /must be a string/ },
  { name: "max_position_embeddings 0", category: "config", args: ["evaluate", "run"], setup: configField("max_position_embeddings", 0), culprit: "config.json: field max_position_embeddings", fix: /positive integer/ },
  { name: "id2label []", category: "config", args: ["evaluate", "run"], setup: configField("id2label", []), culprit: "config.json: field id2label", fix: /non-empty object/ },
  { name: "model_type gpt2", category: "config", args: ["evaluate", "run"], setup: configField("model_type", "gpt2"), culprit: "config.json: field model_type", fix: /only "bert"/ },
  { name: "fewer layers than the weights", category: "config", args: ["evaluate", "run"], setup: configField("num_hidden_layers", 1), culprit: "{dir}/run/config.json does not match", fix: /Restore the config.json/, untouched: ["run/config.json", "run/model.safetensors"] },
  { name: "more layers than the weights", category: "config", args: ["evaluate", "run"], setup: configField("num_hidden_layers", 3), culprit: "weights missing", fix: /Restore the config.json/ },
  { name: "evaluate a folder without config.json", category: "file", args: ["evaluate", "run"], files: { "run/model.safetensors": "x" }, culprit: "{dir}/run/config.json not found", fix: /npx kit train/ },
  { name: "evaluate: model.safetensors not safetensors", category: "file", args: ["evaluate", "run"], setup: (dir) => { savedRunWith(SMALL_CONFIG)(dir); writeFileSync(join(dir, "run", "model.safetensors"), "garbage\n"); }, culprit: "{dir}/run/model.safetensors: bad header length", fix: /truncated or not a safetensors file/, untouched: ["run/model.safetensors"] },
  { name: "evaluate: a run without its tokenizer", category: "file", args: ["evaluate", "run"], setup: savedRunWith(SMALL_CONFIG), culprit: 'No tokenizer for "{dir}/run"', fix: /Fix: save the checkpoint with its "vocab.txt"/, detailed: true },
  { name: "evaluate a file", category: "file", args: ["evaluate", "afile"], files: { afile: "x" }, culprit: "{dir}/afile/config.json not found", fix: /npx kit train/ },
  // ---- accelerate: YAML and launcher flags ----
  { name: "garbage YAML", category: "yaml", args: ["accelerate", "launch", "--config-file", "accelerate.yaml", "script.mjs"], files: accelerateConfig("num_processes: [2,\n  x"), culprit: "accelerate.yaml: not valid YAML", fix: /kit accelerate config/, untouched: ["accelerate.yaml"] },
  { name: "YAML list", category: "yaml", args: ["accelerate", "launch", "--config-file", "accelerate.yaml", "script.mjs"], files: accelerateConfig("- 1\n- 2\n"), culprit: "accelerate.yaml: not a YAML mapping", fix: /kit accelerate config/ },
  { name: "YAML num_processes two", category: "yaml", args: ["accelerate", "launch", "--config-file", "accelerate.yaml", "script.mjs"], files: accelerateConfig("num_processes: two\n"), culprit: "accelerate.yaml: num_processes", fix: /kit accelerate config/ },
  { name: "YAML num_processes 0", category: "yaml", args: ["accelerate", "launch", "--config-file", "accelerate.yaml", "script.mjs"], files: accelerateConfig("num_processes: 0\n"), culprit: "accelerate.yaml: num_processes", fix: /integer >= 1/ },
  { name: "YAML distributed_type MULTI_GPU", category: "yaml", args: ["accelerate", "launch", "--config-file", "accelerate.yaml", "script.mjs"], files: accelerateConfig("distributed_type: MULTI_GPU\n"), culprit: "accelerate.yaml: distributed_type MULTI_GPU", fix: /kit accelerate config/ },
  { name: "YAML mixed_precision fp16", category: "yaml", args: ["accelerate", "launch", "--config-file", "accelerate.yaml", "script.mjs"], files: accelerateConfig("mixed_precision: fp16\n"), culprit: "accelerate.yaml: mixed_precision", fix: /Use "no"/ },
  { name: "YAML main_process_port 70000", category: "yaml", args: ["accelerate", "launch", "--config-file", "accelerate.yaml", "script.mjs"], files: accelerateConfig("main_process_port: 70000\n"), culprit: "accelerate.yaml: main_process_port 70000", fix: /1 to 65535/ },
  { name: "--config-file missing", category: "yaml", args: ["accelerate", "launch", "--config-file", "none.yaml", "script.mjs"], files: { "script.mjs": "" }, culprit: "none.yaml does not exist", fix: /kit accelerate config --config-file/ },
  { name: "launch a missing script", category: "file", args: ["accelerate", "launch", "--num-processes", "2", "nope.ts"], culprit: "nope.ts not found", fix: /check the path/ },
  { name: "--main-process-port 70000", category: "flag", args: ["accelerate", "launch", "--main-process-port", "70000", "script.mjs"], files: { "script.mjs": "" }, culprit: "--main-process-port 70000", fix: /1 to 65535/ },
  { name: "--main-process-port abc", category: "flag", args: ["accelerate", "launch", "--main-process-port", "abc", "script.mjs"], files: { "script.mjs": "" }, culprit: "--main-process-port", fix: /integer/ },
  { name: "launch --num-processes 0", category: "flag", args: ["accelerate", "launch", "--num-processes", "0", "script.mjs"], files: { "script.mjs": "" }, culprit: "--num-processes", fix: /integer >= 1/ },
  { name: "launch --bogus", category: "flag", args: ["accelerate", "launch", "--bogus", "1", "script.mjs"], culprit: "--bogus", fix: /--num-processes/ },
  { name: "launch without a script", category: "flag", args: ["accelerate", "launch"], culprit: "which script", fix: /kit accelerate launch --num-processes 2/ },
  { name: "config default --num-processes 0", category: "flag", args: ["accelerate", "config", "default", "--num-processes", "0", "--config-file", "out.yaml"], culprit: "--num-processes", fix: /integer >= 1/, absent: ["out.yaml"] },
  { name: "config default --num-processes two", category: "flag", args: ["accelerate", "config", "default", "--num-processes", "two", "--config-file", "out.yaml"], culprit: "--num-processes", fix: /integer/, absent: ["out.yaml"] },
  { name: "config default --mixed-precision fp16", category: "flag", args: ["accelerate", "config", "default", "--mixed-precision", "fp16", "--config-file", "out.yaml"], culprit: "mixed_precision", fix: /Use "no"/, absent: ["out.yaml"] },
  { name: "accelerate lanuch", category: "flag", args: ["accelerate", "lanuch"], culprit: '"lanuch"', fix: /use config or launch/ },
  // ---- hub mirror ----
  {
    // The data loads before the model (a missing GLUE file is named as such: the case below), so MRPC is there.
    name: "tiny-pretrained offline, its checkpoint in neither the mirror nor the cache",
    category: "hub mirror",
    setup: mirrorWithMrpcOnly,
    args: ["train", "--preset", "tiny-pretrained", "--output-dir", "run"],
    env: { HF_HUB_OFFLINE: "1", HF_HUB_CACHE: "{dir}/cache", KIT_HUB_MIRROR: "{dir}/mirror" },
    culprit: "google/bert_uncased_L-2_H-128_A-2",
    fix: /or use --preset tiny, which needs no pretrained weights/,
    detailed: true,
    absent: ["run"], // no empty run folder left behind
  },
  {
    name: "offline, MRPC in neither the mirror nor the cache",
    category: "hub mirror",
    args: ["train", "--output-dir", "run"],
    env: { HF_HUB_OFFLINE: "1", HF_HUB_CACHE: "{dir}/cache", KIT_HUB_MIRROR: "{dir}/mirror" },
    culprit: "mrpc/train-00000-of-00001.parquet",
    fix: /unset HF_HUB_OFFLINE to download it, or put the file in a mirror folder \(KIT_HUB_MIRROR\)/,
    detailed: true,
  },
  {
    name: "chapter 01 offline, MRPC nowhere (an error escaping the chapter)",
    category: "hub mirror",
    chapter: "01-preprocessing.ts",
    args: [],
    env: MIRROR_ENV,
    culprit: "mrpc/train-00000-of-00001.parquet",
    fix: /unset HF_HUB_OFFLINE to download it/,
    detailed: true,
  },
  {
    name: "a mirror whose MRPC parquet is garbage",
    category: "hub mirror",
    args: ["train", "--output-dir", "run"],
    env: { HF_HUB_OFFLINE: "1", HF_HUB_CACHE: "{dir}/cache", KIT_HUB_MIRROR: "{dir}/mirror" },
    files: Object.fromEntries(["train", "validation", "test"].map((split) => [`mirror/datasets/nyu-mll/glue/mrpc/${split}-00000-of-00001.parquet`, "not a parquet file"])),
    culprit: "{dir}/mirror/datasets/nyu-mll/glue/mrpc/train-00000-of-00001.parquet",
    fix: /./,
    untouched: ["mirror/datasets/nyu-mll/glue/mrpc/train-00000-of-00001.parquet"],
  },
  { name: "a mirror's bert-base-uncased config.json not JSON", category: "hub mirror", args: ["train", "--output-dir", "run"], env: MIRROR_ENV, setup: mirrorWith("config.json", '{"vocab_size": '), culprit: "{dir}/mirror/models/bert-base-uncased/config.json: not valid JSON", fix: /restore the file/ },
  { name: "a mirror's config.json with vocab_size -5", category: "hub mirror", args: ["train", "--output-dir", "run"], env: MIRROR_ENV, setup: mirrorWith("config.json", JSON.stringify({ ...SMALL_CONFIG, vocab_size: -5 })), culprit: "config.json: field vocab_size", fix: /fix that field/ },
  { name: "a mirror's tokenizer.json not JSON", category: "hub mirror", args: ["train", "--output-dir", "run"], env: MIRROR_ENV, setup: mirrorWith("tokenizer.json", '{"model": '), culprit: "{dir}/mirror/models/bert-base-uncased/tokenizer.json is not valid JSON", fix: /download it again/ },
];

/** At most a few processes at once: the machine has 2 cores. */
const limit = (() => {
  let running = 0;
  const queue: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= 3) await new Promise<void>((r) => queue.push(r));
    running++;
    try {
      return await task();
    } finally {
      running--;
      queue.shift()?.();
    }
  };
})();

function run(c: Case, dir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const sub = (s: string) => s.replaceAll("{dir}", dir);
  const args = c.args.map(sub);
  const argv = ["--import", TSX, c.chapter ? join(ROOT, "chapters", c.chapter) : CLI, ...args];
  const env: NodeJS.ProcessEnv = { ...process.env, KIT_DEBUG: "" };
  for (const [k, v] of Object.entries(c.env ?? {})) env[k] = sub(v);
  return limit(
    () =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, argv, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
        child.on("close", (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      }),
  );
}

const digest = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

beforeAll(async () => {
  // The weights of a saved 2-layer run, for the config.json cases (the kit's own savePretrained, seeded init).
  const { BertConfig, fromConfig, savePretrained } = await import("../../src/models/bert");
  const dir = join(root, "saved");
  const { num_hidden_layers: _layers, ...fields } = SMALL_CONFIG;
  const config = BertConfig.fromJSON({ ...fields, num_hidden_layers: SMALL_CONFIG.num_hidden_layers });
  const model = fromConfig(config, { seed: 1 });
  await savePretrained(model, dir);
  model.dispose();
  savedWeights = join(dir, "model.safetensors");
});

afterAll(() => {
  for (const m of mounts) spawnSync("umount", [m]);
  rmSync(root, { recursive: true, force: true });
});

describe("bad inputs: exit code, one line naming the culprit and the fix, no stack, nothing lost", () => {
  it("the table covers at least 80 cases and every category", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(80);
    const categories = new Set(CASES.map((c) => c.category));
    for (const c of ["flag", "environment", "file", "config", "checkpoint", "yaml", "output folder", "hub mirror"] as const) expect(categories).toContain(c);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  describe.concurrent.each(CASES.map((c, i) => [c.name, c, i] as const))("%s", (_name, c, i) => {
    it(`${c.category}: fails with one clear line`, async () => {
      const dir = join(root, `case-${i}`);
      mkdirSync(dir, { recursive: true });
      for (const [file, content] of Object.entries(c.files ?? {})) {
        mkdirSync(join(dir, file, ".."), { recursive: true });
        writeFileSync(join(dir, file), content);
      }
      c.setup?.(dir);
      const before = new Map((c.untouched ?? []).map((f) => [f, digest(join(dir, f))]));

      const r = await run(c, dir);
      const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
      const report = `exit ${r.code}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(-2000)}`;
      expect(r.code, report).not.toBe(0);
      expect(r.code, report).not.toBeNull();
      if (c.code !== undefined) expect(r.code, report).toBe(c.code);
      expect(r.stderr, report).not.toMatch(/^\s+at /m);
      if (!c.detailed) expect(lines, report).toHaveLength(1);
      expect(lines[0], report).toContain(c.culprit.replaceAll("{dir}", dir));
      expect(c.detailed ? r.stderr : lines[0], report).toMatch(c.fix);
      for (const [f, hash] of before) expect(digest(join(dir, f)), `${f} changed`).toBe(hash);
      for (const f of c.gone ?? []) expect(existsSync(join(dir, f)), `${f} should be removed`).toBe(false);
      for (const f of c.absent ?? []) expect(existsSync(join(dir, f)), `${f} should not be written`).toBe(false);
    });
  });
});

describe("a full disk names the file it could not write", () => {
  it("config.json on /dev/full: the run fails naming the run folder and ENOSPC, its checkpoint kept", async () => {
    const dir = join(root, "full");
    mkdirSync(join(dir, "run"), { recursive: true });
    // Writing through this link hits a full device, as saving the model on a full disk would.
    symlinkSync("/dev/full", join(dir, "run", "config.json"));
    const r = await run(
      { name: "full disk", category: "output folder", args: ["train", "--max-steps", "1", "--output-dir", "run", "--quiet"], culprit: "", fix: /./ },
      dir,
    );
    const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
    const report = `exit ${r.code}\nstderr:\n${r.stderr}`;
    expect(r.code, report).toBe(1);
    expect(r.stderr, report).not.toMatch(/^\s+at /m);
    expect(lines[0], report).toContain(`cannot save the model in ${join(dir, "run")}: no space left on the device (ENOSPC)`);
    // The training is not lost: its last step is checkpointed, and the message says how to finish.
    expect(existsSync(join(dir, "run", "checkpoint-1", "trainer_state.json"))).toBe(true);
    expect(r.stderr).toContain(`--resume ${join(dir, "run")}`);
  });
});
