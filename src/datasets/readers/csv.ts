// CSV (RFC 4180: quoted fields may hold commas, doubled quotes and newlines), typed per column the way
// pandas does for `load_dataset("csv")`: integers, floats and True/False become numbers and booleans,
// empty fields become null, anything else stays a string.
import { readFile } from "node:fs/promises";
import type { TableData } from "./table";

export function parseCsv(text: string, options: { delimiter?: string; file?: string } = {}): string[][] {
  const delim = options.delimiter ?? ",";
  const where = options.file ? `CSV file "${options.file}"` : "CSV text";
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let inQuotes = false;
  let quotedAt = 0;
  let fieldStarted = false;
  const endField = (): void => {
    row.push(field);
    field = "";
    fieldStarted = false;
  };
  const endRow = (): void => {
    endField();
    rows.push(row);
    row = [];
  };
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') (field += '"'), i++;
        else inQuotes = false;
      } else {
        if (c === "\n") line++;
        field += c;
      }
    } else if (c === '"' && !fieldStarted) {
      inQuotes = true;
      fieldStarted = true;
      quotedAt = line;
    } else if (c === delim) endField();
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      line++;
      endRow();
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (inQuotes) throw new Error(`${where}: the quoted field opened on line ${quotedAt} is never closed (a missing '"').`);
  if (field.length > 0 || fieldStarted || row.length > 0) endRow();
  return rows;
}

export function csvToTable(text: string, file?: string): TableData {
  const rows = parseCsv(text, { file });
  const where = file ? `CSV file "${file}"` : "CSV text";
  if (rows.length === 0) throw new Error(`${where} is empty: expected a header line with the column names.`);
  const header = rows[0]!;
  const columns = new Map<string, unknown[]>();
  header.forEach((name, c) => {
    if (columns.has(name)) throw new Error(`${where}: the header names column "${name}" twice.`);
    columns.set(name, typeColumn(rows.slice(1).map((r) => r[c] ?? "")));
  });
  rows.slice(1).forEach((r, k) => {
    if (r.length !== header.length) {
      throw new Error(`${where}: record ${k + 1} has ${r.length} fields but the header has ${header.length} (${header.join(", ")}).`);
    }
  });
  return { columns };
}

export async function readCsv(path: string): Promise<TableData> {
  return csvToTable(await readFile(path, "utf8"), path);
}

const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|nan)$/i;

function typeColumn(raw: string[]): unknown[] {
  const present = raw.filter((v) => v !== "");
  if (present.length > 0 && present.every((v) => INT.test(v) && Number.isSafeInteger(Number(v)))) {
    return raw.map((v) => (v === "" ? null : Number(v)));
  }
  if (present.length > 0 && present.every((v) => FLOAT.test(v))) {
    return raw.map((v) => (v === "" ? null : /inf/i.test(v) ? (v.startsWith("-") ? -Infinity : Infinity) : /nan/i.test(v) ? NaN : Number(v)));
  }
  if (present.length > 0 && present.every((v) => /^(true|false)$/i.test(v))) {
    return raw.map((v) => (v === "" ? null : v.toLowerCase() === "true"));
  }
  return raw.map((v) => (v === "" ? null : v));
}
