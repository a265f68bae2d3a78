import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

/** A named slice of a source file, between `// #region <name>` and `// #endregion <name>`. */
export interface Region {
  file: string;
  name: string;
  /** 1-based line numbers of the first and last included lines (marker lines excluded). */
  startLine: number;
  endLine: number;
  /** The code, dedented, with nested region markers removed. */
  code: string;
}

const OPEN = /^\s*\/\/\s*#region\s+(\S+)\s*$/;
const CLOSE = /^\s*\/\/\s*#endregion(?:\s+(\S+))?\s*$/;

/** Thrown for any missing file, missing region or malformed marker; the message names the file and the region. */
export class IncludeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IncludeError";
  }
}

interface Span {
  open: number;
  close: number;
}

function scan(file: string, lines: string[]): Map<string, Span> {
  const spans = new Map<string, Span>();
  const stack: { name: string; open: number }[] = [];
  lines.forEach((line, i) => {
    const o = OPEN.exec(line);
    if (o) {
      const name = o[1]!;
      if (spans.has(name) || stack.some((s) => s.name === name)) {
        throw new IncludeError(`${file}:${i + 1}: region "${name}" is defined twice; region names must be unique in a file`);
      }
      stack.push({ name, open: i });
      return;
    }
    const c = CLOSE.exec(line);
    if (c) {
      const top = stack.pop();
      if (!top) throw new IncludeError(`${file}:${i + 1}: "#endregion" without an open region`);
      if (c[1] !== undefined && c[1] !== top.name) {
        throw new IncludeError(`${file}:${i + 1}: "#endregion ${c[1]}" closes region "${top.name}" (opened line ${top.open + 1}); close regions in order`);
      }
      spans.set(top.name, { open: top.open, close: i });
    }
  });
  const unclosed = stack.pop();
  if (unclosed) throw new IncludeError(`${file}:${unclosed.open + 1}: region "${unclosed.name}" is never closed; add "// #endregion ${unclosed.name}"`);
  return spans;
}

function dedent(lines: string[]): string[] {
  const indents = lines.filter((l) => l.trim() !== "").map((l) => /^[ \t]*/.exec(l)![0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut));
}

function readSource(root: string, file: string): string[] {
  const path = resolve(root, file);
  if (!existsSync(path)) throw new IncludeError(`file "${file}" not found (looked at ${path})`);
  return readFileSync(path, "utf8").split(/\r?\n/);
}

/** Names of the regions of `file` (relative to `root`), in file order. */
export function listRegions(root: string, file: string): string[] {
  const spans = scan(file, readSource(root, file));
  return [...spans.entries()].sort((a, b) => a[1].open - b[1].open).map(([name]) => name);
}

/**
 * The region `name` of `file` (relative to `root`). Without a name, the whole file (markers removed).
 * Throws an IncludeError naming the file and the region when either is missing.
 */
export function extractRegion(root: string, file: string, name?: string): Region {
  const lines = readSource(root, file);
  const spans = scan(file, lines);
  let from = 0;
  let to = lines.length;
  if (name !== undefined) {
    const span = spans.get(name);
    if (!span) {
      const known = [...spans.entries()].sort((a, b) => a[1].open - b[1].open).map(([n]) => n);
      throw new IncludeError(
        `region "${name}" not found in ${file} (regions there: ${known.length ? known.join(", ") : "none"}); ` +
          `mark it with "// #region ${name}" ... "// #endregion ${name}"`,
      );
    }
    from = span.open + 1;
    to = span.close;
  }
  const body = lines.slice(from, to).filter((l) => !OPEN.test(l) && !CLOSE.test(l));
  while (body.length && body[body.length - 1]!.trim() === "") body.pop();
  while (body.length && body[0]!.trim() === "") {
    body.shift();
    from++;
  }
  if (body.length === 0) throw new IncludeError(`region "${name ?? "(whole file)"}" of ${file} is empty`);
  return { file, name: name ?? "", startLine: from + 1, endLine: to, code: dedent(body).join("\n") };
}
