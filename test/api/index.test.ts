// The package's one entry point (src/index.ts): the course's names at the top, the rest in namespaces, and
// none of the kit's machinery. The course's names come from the course's own imports, not from the code.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { API_MAP } from "../../docs/api-map";
import * as kit from "../../src/index";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

// The import lines of the course's "A full training" (Hugging Face LLM course, chapter 3), as the page has them
// (the current English text takes AdamW from torch.optim, the French one from transformers: same name).
const COURSE_PAGE_IMPORTS = `
from datasets import load_dataset
from transformers import AutoTokenizer, DataCollatorWithPadding
from torch.utils.data import DataLoader
from transformers import AutoModelForSequenceClassification
from torch.optim import AdamW
from transformers import get_scheduler
import torch
from tqdm.auto import tqdm
import evaluate
from accelerate import Accelerator
from accelerate import notebook_launcher
`;

// The libraries the course imports from; bench/python/course.py (the course run in Python) adds its own
// imports from them (set_seed, for a reproducible run).
const COURSE_LIBRARIES = new Set(["datasets", "transformers", "torch.utils.data", "torch.optim", "tqdm.auto", "evaluate", "accelerate"]);

/**
 * `from m import a, b` -> a, b, for the course's libraries; `import m` -> m too with `modules` (the course
 * page's `import torch` / `import evaluate`; course.py's own `import sys`, `import transformers` are not the course's).
 */
function importedNames(python: string, modules = false): string[] {
  const names: string[] = [];
  for (const line of python.split("\n").map((l) => l.replace(/#.*$/, "").trim())) {
    const from = /^from\s+([\w.]+)\s+import\s+(.+)$/.exec(line);
    if (from && COURSE_LIBRARIES.has(from[1]!)) names.push(...from[2]!.split(",").map((n) => n.trim()));
    const plain = /^import\s+([\w.]+)$/.exec(line);
    if (plain && modules) names.push(plain[1]!);
  }
  return names;
}

// Where the kit's name is not the Python name in camelCase, and the line of the course that says so (the docs'
// side-by-side table, docs/api-map.ts, must show the kit's name on that line). `import torch` stands for what
// the course calls on it.
const RENAMES: Record<string, { kit: string[]; python: string[] }> = {
  torch: { kit: ["selectDevice", "noGrad", "backward"], python: ["torch.device(", "torch.no_grad()", "loss.backward()"] },
  notebook_launcher: { kit: ["launch"], python: ["notebook_launcher("] },
  // transformers.set_seed seeds every generator at once; the kit passes a seed or a Generator explicitly.
  set_seed: { kit: ["Generator"], python: [] },
};

const camelCase = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function courseNames(): string[] {
  const coursePy = readFileSync(join(ROOT, "bench/python/course.py"), "utf8");
  const python = [...new Set([...importedNames(COURSE_PAGE_IMPORTS, true), ...importedNames(coursePy)])];
  return [...new Set(python.flatMap((n) => RENAMES[n]?.kit ?? [camelCase(n)]))].sort();
}

// What the package offers at the top: the course's names, then one namespace per library.
const TOP_LEVEL_NAMES = [
  "AdamW",
  "Accelerator",
  "AutoModelForSequenceClassification",
  "AutoTokenizer",
  "DataCollatorWithPadding",
  "DataLoader",
  "Generator",
  "backward",
  "evaluate",
  "getScheduler",
  "launch",
  "loadDataset",
  "noGrad",
  "selectDevice",
  "tqdm",
];
const NAMESPACES = ["accelerate", "backend", "data", "datasets", "hub", "metrics", "models", "nn", "optim", "tokenizers", "utils"];

// The kit's machinery, which a user never calls: each was once reachable from here (issue 16 names the first three).
const INTERNALS = [
  "findFreePort",
  "MOMENTS_ON_HOST_BYTES",
  "parseCsv",
  "accelerateCli",
  "askConfig",
  "configToYaml",
  "readDistributedEnv",
  "shardBatches",
  "lookupCache",
  "repoFolderName",
  "hubFileUrl",
  "PROGRESS_THRESHOLD_BYTES",
  "VERY_LARGE_INTEGER",
  "truncateSequences",
  "padEncodings",
  "parseVocabTxt",
  "toSnakeCase",
  "FLOAT32_MIN",
  "extendedAttentionMask",
  "heapView",
  "inPlaceWriter",
  "overwriteInPlace",
  "fusedAdamWStep",
  "installWasmKernels",
  "nativeGemmCalls",
  "setNativeGemm",
  "setKitDenseMatMul",
  "wasmHeapBytes",
];

/** Every runtime name reachable from the entry point: top-level names and namespace.member. */
function reachableNames(): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(kit)) {
    out.push(name);
    if (NAMESPACES.includes(name)) for (const member of Object.keys(value as object)) out.push(`${name}.${member}`);
  }
  return out;
}

describe("public API (src/index.ts)", () => {
  it("reads the course's imports (the parse finds every line of the page)", () => {
    expect(importedNames(COURSE_PAGE_IMPORTS, true)).toHaveLength(12);
    expect(importedNames(readFileSync(join(ROOT, "bench/python/course.py"), "utf8"))).toContain("set_seed");
  });

  it("each renamed course name is how the docs' side-by-side table writes that line", () => {
    for (const { kit: names, python } of Object.values(RENAMES)) {
      python.forEach((phrase, i) => {
        const row = API_MAP.find((r) => r.python.includes(phrase));
        expect(row, `docs/api-map.ts has no row for ${phrase}`).toBeDefined();
        // backward's row shows the awaited form the chapters call (backwardAsync: WebGPU reads only asynchronously).
        expect(row!.ts).toMatch(new RegExp(`\\b${names[i]}(Async)?\\(`));
      });
    }
  });

  it.each(courseNames())("exports the course's %s at the top", (name) => {
    expect(kit[name as keyof typeof kit]).toBeDefined();
  });

  it("has at the top the course's names and one namespace per library, nothing else", () => {
    expect([...TOP_LEVEL_NAMES].sort()).toEqual(courseNames());
    expect(Object.keys(kit).sort()).toEqual([...TOP_LEVEL_NAMES, ...NAMESPACES].sort());
  });

  it("leaks none of the kit's internals, at the top or in a namespace", () => {
    const leaked = reachableNames().filter((n) => INTERNALS.includes(n.split(".").at(-1)!));
    expect(leaked).toEqual([]);
  });

  it("gives each top-level name its namespace's object (one class, not two copies)", () => {
    expect(kit.AdamW).toBe(kit.optim.AdamW);
    expect(kit.AutoModelForSequenceClassification).toBe(kit.models.AutoModelForSequenceClassification);
    expect(kit.Accelerator).toBe(kit.accelerate.Accelerator);
    expect(kit.evaluate).toBe(kit.metrics.evaluate);
    expect(kit.backward).toBe(kit.nn.backward);
  });

  it("offers backwardAsync in nn only, beside backward: not a course name, but how a loop trains on webgpu", () => {
    // WebGPU in Node reads only asynchronously (src/backend/webgpu/backend.ts), so backward()'s loss read fails there.
    expect(typeof kit.nn.backwardAsync).toBe("function");
    expect(Object.keys(kit)).not.toContain("backwardAsync");
  });
});
