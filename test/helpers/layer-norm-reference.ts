// The LayerNorm kernels' oracle: seeded inputs (with rows where float32 statistics lose bits) and a float64
// LayerNorm with the bound each result of a kernel that computes in double (or in float pairs) and rounds to
// float32 only where it stores must keep. Shared by test/backend/layer-norm-kernels.test.ts (wasm) and
// webgpu.test.ts (whose child, fixtures/webgpu-layer-norm.ts, computes on the GPU).
import { Generator } from "../../src/utils/random";

export const U = 2 ** -24; // float32's unit roundoff (round to nearest)
export const SLACK = 1.001; // second-order terms (u^2) of the bounds below
export const COLS = 384;
export const SHAPE = [2, 70, COLS]; // 140 rows, as MiniLM's [batch, seq, hidden]
export const EPS = 1e-12; // BERT's layer_norm_eps

export interface Inputs {
  x: Float32Array;
  w: Float32Array;
  b: Float32Array;
  dy: Float32Array;
}

/**
 * Rows of N(0, 1); with `hard`, also rows with a large mean and a small spread (300 + 0.01 N, where float32
 * sums lose what the variance is made of), a constant row (variance 0: rstd = 1/sqrt(eps)), and rows scaled
 * by 1e4 and 1e-3.
 */
export function inputs(hard: boolean): Inputs {
  const gen = new Generator("test/native-layer-norm");
  const rows = SHAPE[0]! * SHAPE[1]!;
  const x = gen.normalArray(rows * COLS);
  for (let j = 0; j < COLS && hard; j++) {
    for (const r of [3, 50, 77]) x[r * COLS + j] = Math.fround(300 + 0.01 * x[r * COLS + j]!);
    x[5 * COLS + j] = 0.1;
    x[9 * COLS + j] = Math.fround(1e4 * x[9 * COLS + j]!);
    x[11 * COLS + j] = Math.fround(1e-3 * x[11 * COLS + j]!);
  }
  const w = gen.normalArray(COLS, 1, 0.1);
  const b = gen.normalArray(COLS, 0, 0.1);
  const dy = gen.normalArray(rows * COLS);
  return { x, w, b, dy };
}

export interface Reference {
  y: Float64Array;
  xhat: Float64Array;
  rstd: Float64Array;
  dx: Float64Array;
  dw: Float64Array;
  db: Float64Array;
  /** Per value of y, dx, dw, db: the bound |ours - reference| must keep. */
  yBound: Float64Array;
  dxBound: Float64Array;
  dwBound: Float64Array;
  dbBound: Float64Array;
}

/**
 * LayerNorm and its gradient in float64 from the float32 inputs (eps rounded to float32 first, as torch's float
 * kernel has it), with the bound each result of a kernel that computes in double and rounds to float32 only
 * where it stores must keep, to first order in u (SLACK covers u^2; 1e-12 of the terms covers the double
 * arithmetic):
 * - xhat = fl((x - mean) rstd): u |xhat|; rstd: u rstd.
 * - y = fl(fl(xhat_f w) + b) from the float xhat_f: u (2 |xhat w| + |y|).
 * - dx = fl(rstd_f S) with S = g - mean(g) - xhat_f mean(g xhat_f), g = dy w exact in double: xhat_f's
 *   rounding moves S by u |xhat| (|mean(g xhat)| + mean|g xhat|), rstd_f's and the final rounding 2u |dx|.
 * - dw = fl(sum dy xhat_f): u (sum |dy xhat| + |dw|); db = fl(sum dy): u |db|.
 */
export function reference({ x, w, b, dy }: Inputs, eps: number): Reference {
  const rows = x.length / COLS;
  const n = rows * COLS;
  const r: Reference = {
    y: new Float64Array(n),
    xhat: new Float64Array(n),
    rstd: new Float64Array(rows),
    dx: new Float64Array(n),
    dw: new Float64Array(COLS),
    db: new Float64Array(COLS),
    yBound: new Float64Array(n),
    dxBound: new Float64Array(n),
    dwBound: new Float64Array(COLS),
    dbBound: new Float64Array(COLS),
  };
  const dwAbs = new Float64Array(COLS);
  const dbAbs = new Float64Array(COLS);
  for (let i = 0; i < rows; i++) {
    const at = i * COLS;
    let mean = 0;
    for (let j = 0; j < COLS; j++) mean += x[at + j]!;
    mean /= COLS;
    let variance = 0;
    for (let j = 0; j < COLS; j++) variance += (x[at + j]! - mean) ** 2;
    variance /= COLS;
    const rstd = 1 / Math.sqrt(variance + Math.fround(eps));
    r.rstd[i] = rstd;
    let meanG = 0;
    let meanGH = 0;
    let meanAbsGH = 0;
    for (let j = 0; j < COLS; j++) {
      const h = (x[at + j]! - mean) * rstd;
      r.xhat[at + j] = h;
      r.y[at + j] = h * w[j]! + b[j]!;
      r.yBound[at + j] = SLACK * U * (2 * Math.abs(h * w[j]!) + Math.abs(r.y[at + j]!));
      const g = dy[at + j]! * w[j]!;
      meanG += g / COLS;
      meanGH += (g * h) / COLS;
      meanAbsGH += Math.abs(g * h) / COLS;
      r.dw[j] += dy[at + j]! * h;
      r.db[j] += dy[at + j]!;
      dwAbs[j] += Math.abs(dy[at + j]! * h);
      dbAbs[j] += Math.abs(dy[at + j]!);
    }
    for (let j = 0; j < COLS; j++) {
      const g = dy[at + j]! * w[j]!;
      const h = r.xhat[at + j]!;
      const dx = rstd * (g - meanG - h * meanGH);
      r.dx[at + j] = dx;
      r.dxBound[at + j] =
        SLACK * U * (2 * Math.abs(dx) + rstd * Math.abs(h) * (Math.abs(meanGH) + meanAbsGH)) +
        1e-12 * rstd * (Math.abs(g) + Math.abs(meanG) + Math.abs(h * meanGH));
    }
  }
  for (let j = 0; j < COLS; j++) {
    r.dwBound[j] = SLACK * U * (dwAbs[j]! + Math.abs(r.dw[j]!)) + 1e-12 * dwAbs[j]!;
    r.dbBound[j] = SLACK * U * Math.abs(r.db[j]!) + 1e-12 * dbAbs[j]!;
  }
  return r;
}
