// JSON as `load_dataset("json")` reads it: JSON Lines (one object per line), a top-level array of row
// objects, or an object of columns; with `field`, the rows or columns under that key of one object.
import { readFile } from "node:fs/promises";
import type { TableData } from "./table";

export function jsonToTable(text: string, options: { file?: string; field?: string } = {}): TableData {
  const where = options.file ? `JSON file "${options.file}"` : "JSON text";
  const trimmed = text.replace(/^\uFEFF/, "").trim();
  if (options.field !== undefined) {
    const whole = parseWhole(trimmed, where) as Record<string, unknown>;
    if (whole === null || typeof whole !== "object" || !(options.field in whole)) {
      throw new Error(`${where}: no key "${options.field}" at the top level (field option).`);
    }
    return fromValue(whole[options.field], where);
  }
  if (trimmed.startsWith("[")) return fromValue(parseWhole(trimmed, where), where);
  const rows: unknown[] = [];
  const lines = trimmed.split(/\r?\n/);
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k]!.trim();
    if (line === "") continue;
    try {
      rows.push(JSON.parse(line));
    } catch (err) {
      // Not JSON Lines: maybe one pretty-printed object of columns.
      if (k === 0) {
        try {
          return fromValue(JSON.parse(trimmed), where);
        } catch {
          /* report the line error below */
        }
      }
      throw new Error(`${where}, line ${k + 1}: not valid JSON (${(err as Error).message}). Expected JSON Lines (one object per line) or an array of objects.`);
    }
  }
  return fromValue(rows, where);
}

export async function readJson(path: string, options: { field?: string } = {}): Promise<TableData> {
  return jsonToTable(await readFile(path, "utf8"), { file: path, field: options.field });
}

function parseWhole(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${where}: not valid JSON (${(err as Error).message}).`);
  }
}

function fromValue(value: unknown, where: string): TableData {
  const columns = new Map<string, unknown[]>();
  if (Array.isArray(value)) {
    value.forEach((row, k) => {
      if (row === null || typeof row !== "object" || Array.isArray(row)) {
        throw new Error(`${where}: row ${k + 1} is ${JSON.stringify(row)}, expected an object of column values.`);
      }
      for (const key of Object.keys(row)) if (!columns.has(key)) columns.set(key, new Array(k).fill(null));
      for (const [key, col] of columns) col.push(key in row ? (row as Record<string, unknown>)[key] : null);
    });
    return { columns };
  }
  if (value !== null && typeof value === "object") {
    for (const [key, col] of Object.entries(value)) {
      if (!Array.isArray(col)) throw new Error(`${where}: an object of columns needs an array per key; "${key}" is ${typeof col}.`);
      columns.set(key, col);
    }
    return { columns };
  }
  throw new Error(`${where}: expected JSON Lines, an array of objects or an object of columns, found ${typeof value}.`);
}
