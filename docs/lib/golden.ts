import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Lang } from "./i18n";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Thrown when a golden file or key is missing; the message names both. */
export class GoldenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GoldenError";
  }
}

/**
 * Values written by `npm run golden`, addressed as `<file-stem>.<key path>`:
 * `02-dataloaders.trainBatches`, `run-record.metrics.accuracy`, `run-record.steps[].lr` (`[]` maps over an array),
 * `02-dataloaders.shapes[0]`, `run-record.steps.loss[-1]` (an index; negative counts from the end).
 */
export class GoldenStore {
  private readonly files = new Map<string, Json>();
  constructor(readonly root: string, readonly dir = "golden") {}

  private file(stem: string): Json {
    const cached = this.files.get(stem);
    if (cached !== undefined) return cached;
    const rel = `${this.dir}/${stem}.json`;
    const path = resolve(this.root, rel);
    if (!existsSync(path)) throw new GoldenError(`golden file ${rel} not found (for key "${stem}"); run \`npm run golden\` to write it`);
    let value: Json;
    try {
      value = JSON.parse(readFileSync(path, "utf8")) as Json;
    } catch (e) {
      throw new GoldenError(`golden file ${rel} is not valid JSON: ${(e as Error).message}`);
    }
    this.files.set(stem, value);
    return value;
  }

  /** Resolve `stem.path`; throws a GoldenError naming the file and the key when anything is missing. */
  get(ref: string): Json {
    const dot = ref.indexOf(".");
    const stem = dot < 0 ? ref : ref.slice(0, dot);
    const path = dot < 0 ? "" : ref.slice(dot + 1);
    const rel = `${this.dir}/${stem}.json`;
    return walk(this.file(stem), tokenize(path, ref), rel, path);
  }
}

type Step = { kind: "key"; key: string } | { kind: "index"; index: number } | { kind: "map" };

function tokenize(path: string, ref: string): Step[] {
  const steps: Step[] = [];
  const re = /([^.[\]]+)|\[(-?\d*)\]|(\.)/g;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(path))) {
    if (m.index !== last) break;
    last = re.lastIndex;
    if (m[1] !== undefined) steps.push({ kind: "key", key: m[1] });
    else if (m[2] !== undefined) steps.push(m[2] === "" ? { kind: "map" } : { kind: "index", index: Number(m[2]) });
  }
  if (last !== path.length) throw new GoldenError(`golden reference "${ref}" is malformed at "${path.slice(last)}"`);
  return steps;
}

function describe(v: Json): string {
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const keys = Object.keys(v);
    return `an object with keys ${keys.slice(0, 20).join(", ")}${keys.length > 20 ? ", ..." : ""}`;
  }
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return `the ${typeof v} ${JSON.stringify(v)}`;
}

function walk(value: Json, steps: Step[], file: string, path: string): Json {
  let v = value;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const where = () => `golden key "${path}" not found in ${file}`;
    if (step.kind === "map") {
      if (!Array.isArray(v)) throw new GoldenError(`${where()}: "[]" needs an array, found ${describe(v)}`);
      const rest = steps.slice(i + 1);
      return v.map((item) => walk(item, rest, file, path));
    }
    if (step.kind === "index") {
      const at = Array.isArray(v) && step.index < 0 ? v.length + step.index : step.index;
      if (!Array.isArray(v) || at < 0 || at >= v.length) throw new GoldenError(`${where()}: no index ${step.index} in ${describe(v)}`);
      v = v[at]!;
      continue;
    }
    if (v === null || typeof v !== "object" || Array.isArray(v) || !(step.key in v)) {
      throw new GoldenError(`${where()}: no "${step.key}" in ${describe(v)}`);
    }
    v = (v as Record<string, Json>)[step.key]!;
  }
  return v;
}

/**
 * Format a golden value for prose. Formats: `fixed:N`, `sig:N`, `percent:N`, `exp:N`, `int` (grouped digits), `json`.
 * Without one, numbers print as stored and arrays as `[a, b]`. French gets a decimal comma.
 */
export function formatGolden(value: Json, format: string | undefined, lang: Lang): string {
  const decimal = (s: string) => (lang === "fr" ? s.replace(".", ",") : s);
  if (format === "json") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => formatGolden(v, format, lang)).join(", ")}]`;
  if (typeof value !== "number") {
    if (format !== undefined) throw new GoldenError(`format "${format}" needs a number, found ${describe(value)}`);
    return typeof value === "string" ? value : JSON.stringify(value);
  }
  if (format === undefined) return decimal(String(value));
  const [kind, arg] = format.split(":");
  const n = arg === undefined ? NaN : Number(arg);
  switch (kind) {
    case "fixed":
      return decimal(value.toFixed(n));
    case "sig":
      return decimal(String(Number(value.toPrecision(n))));
    case "exp":
      return decimal(value.toExponential(n));
    case "percent":
      return decimal((value * 100).toFixed(n)) + (lang === "fr" ? "\u202f%" : "%");
    case "int":
      return Math.round(value).toLocaleString(lang === "fr" ? "fr-FR" : "en-US");
    default:
      throw new GoldenError(`unknown format "${format}" (use fixed:N, sig:N, exp:N, percent:N, int or json)`);
  }
}
