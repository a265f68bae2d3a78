/** Small hand-written SVG charts: a line chart and a confusion matrix. Text stays text, so labels are real and searchable. */

const W = 640;
const H = 320;
const M = { top: 16, right: 20, bottom: 48, left: 72 };

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Round tick values covering [min, max], about `count` of them (the 1-2-5 rule). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new Error(`cannot draw ticks for [${min}, ${max}]`);
  if (min === max) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  // The round step whose tick count is closest to the one asked for.
  const step = [1, 2, 5, 10]
    .map((f) => f * mag)
    .reduce((best, s) => (Math.abs((max - min) / s - count) < Math.abs((max - min) / best - count) ? s : best));
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

export type NumberFormat = (v: number) => string;

function tickLabel(v: number, ticks: number[], fmt: NumberFormat): string {
  const span = Math.max(...ticks.map(Math.abs));
  if (v === 0) return fmt(0);
  if (span < 1e-3 || span >= 1e6) {
    const [m, e] = v.toExponential(1).split("e");
    return `${fmt(Number(m))}e${Number(e)}`;
  }
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 1;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return fmt(Number(v.toFixed(decimals)));
}

function movingAverage(ys: number[], window: number): number[] {
  const out: number[] = [];
  let sum = 0;
  for (let i = 0; i < ys.length; i++) {
    sum += ys[i]!;
    if (i >= window) sum -= ys[i - window]!;
    out.push(sum / Math.min(i + 1, window));
  }
  return out;
}

export interface LineChartOptions {
  /** Accessible name of the chart. */
  title: string;
  xLabel: string;
  yLabel: string;
  /** y values at x = 1, 2, ... (training steps). */
  values: number[];
  /** Draw the raw series faintly and a moving average of this window on top. */
  smooth?: number;
  /** Legend labels for the raw and smoothed series when smoothing. */
  rawLabel?: string;
  smoothLabel?: string;
  format: NumberFormat;
}

export function lineChart(o: LineChartOptions): string {
  if (o.values.length === 0) throw new Error(`line chart "${o.title}" has no values`);
  const bad = o.values.findIndex((v) => typeof v !== "number" || !Number.isFinite(v));
  if (bad >= 0) throw new Error(`line chart "${o.title}": value ${bad} is ${String(o.values[bad])}, expected a finite number`);
  const n = o.values.length;
  const xTicks = niceTicks(0, n, 6);
  const yTicks = niceTicks(Math.min(0, ...o.values), Math.max(...o.values), 5);
  const [x0, x1] = [xTicks[0]!, xTicks[xTicks.length - 1]!];
  const [y0, y1] = [yTicks[0]!, yTicks[yTicks.length - 1]!];
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x: number) => M.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => M.top + ph - ((y - y0) / (y1 - y0)) * ph;
  const path = (ys: number[]) => ys.map((y, i) => `${i ? "L" : "M"}${sx(i + 1).toFixed(1)},${sy(y).toFixed(1)}`).join("");
  const parts: string[] = [];
  parts.push(`<rect class="plot-bg" x="${M.left}" y="${M.top}" width="${pw}" height="${ph}"/>`);
  for (const t of yTicks) {
    parts.push(`<line class="grid" x1="${M.left}" x2="${M.left + pw}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}"/>`);
    parts.push(`<text class="tick" x="${M.left - 6}" y="${sy(t).toFixed(1)}" text-anchor="end" dominant-baseline="middle">${esc(tickLabel(t, yTicks, o.format))}</text>`);
  }
  for (const t of xTicks) {
    parts.push(`<line class="axis" x1="${sx(t).toFixed(1)}" x2="${sx(t).toFixed(1)}" y1="${M.top + ph}" y2="${M.top + ph + 5}"/>`);
    parts.push(`<text class="tick" x="${sx(t).toFixed(1)}" y="${M.top + ph + 18}" text-anchor="middle">${esc(tickLabel(t, xTicks, o.format))}</text>`);
  }
  parts.push(`<line class="axis" x1="${M.left}" x2="${M.left + pw}" y1="${M.top + ph}" y2="${M.top + ph}"/>`);
  parts.push(`<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}"/>`);
  if (o.smooth && o.smooth > 1) {
    parts.push(`<path class="series raw" d="${path(o.values)}"/>`);
    parts.push(`<path class="series" d="${path(movingAverage(o.values, o.smooth))}"/>`);
    const lx = M.left + pw - 190;
    parts.push(`<line class="series raw" x1="${lx}" x2="${lx + 20}" y1="${M.top + 14}" y2="${M.top + 14}"/>`);
    parts.push(`<text class="legend" x="${lx + 26}" y="${M.top + 14}" dominant-baseline="middle">${esc(o.rawLabel ?? "raw")}</text>`);
    parts.push(`<line class="series" x1="${lx}" x2="${lx + 20}" y1="${M.top + 32}" y2="${M.top + 32}"/>`);
    parts.push(`<text class="legend" x="${lx + 26}" y="${M.top + 32}" dominant-baseline="middle">${esc(o.smoothLabel ?? `mean of ${o.smooth}`)}</text>`);
  } else {
    parts.push(`<path class="series" d="${path(o.values)}"/>`);
  }
  parts.push(`<text class="label" x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text class="label" transform="translate(16,${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  return svg(o.title, W, H, parts);
}

export interface ConfusionOptions {
  title: string;
  /** counts[trueClass][predictedClass] */
  counts: number[][];
  labels: string[];
  xLabel: string;
  yLabel: string;
  format: NumberFormat;
}

export function confusionMatrix(o: ConfusionOptions): string {
  const k = o.counts.length;
  if (k === 0 || o.counts.some((row) => row.length !== k)) throw new Error(`confusion matrix "${o.title}" must be square, found ${JSON.stringify(o.counts)}`);
  if (o.labels.length !== k) throw new Error(`confusion matrix "${o.title}" has ${k} classes but ${o.labels.length} labels (${o.labels.join(", ")})`);
  const cell = Math.min(120, 320 / k);
  const longest = Math.max(...o.labels.map((l) => l.length));
  const left = 40 + Math.min(160, 7 * longest);
  const top = 44;
  const width = left + cell * k + 20;
  const height = top + cell * k + 12;
  const max = Math.max(1, ...o.counts.flat());
  const parts: string[] = [];
  parts.push(`<text class="label" x="${left + (cell * k) / 2}" y="16" text-anchor="middle">${esc(o.xLabel)}</text>`);
  o.labels.forEach((l, j) => parts.push(`<text class="tick" x="${left + cell * (j + 0.5)}" y="${top - 8}" text-anchor="middle">${esc(l)}</text>`));
  parts.push(`<text class="label" transform="translate(18,${top + (cell * k) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  o.labels.forEach((l, i) => parts.push(`<text class="tick" x="${left - 8}" y="${top + cell * (i + 0.5)}" text-anchor="end" dominant-baseline="middle">${esc(l)}</text>`));
  o.counts.forEach((row, i) =>
    row.forEach((c, j) => {
      const shade = c / max;
      const x = left + cell * j;
      const y = top + cell * i;
      parts.push(`<rect class="cell" x="${x}" y="${y}" width="${cell}" height="${cell}" fill-opacity="${(0.08 + 0.85 * shade).toFixed(3)}"/>`);
      parts.push(
        `<text class="count${shade > 0.55 ? " dark" : ""}" x="${x + cell / 2}" y="${y + cell / 2}" text-anchor="middle" dominant-baseline="middle">${esc(o.format(c))}</text>`,
      );
    }),
  );
  return svg(o.title, width, height, parts);
}

function svg(title: string, w: number, h: number, parts: string[]): string {
  return (
    `<svg class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(title)}">` +
    `<title>${esc(title)}</title>${parts.join("")}</svg>`
  );
}
