// LayerNorm and its gradient on webgpu as the kit's kernels (KitLayerNorm, KitLayerNormGrad: src/nn/functional.ts
// runs them when registered), with the row statistics and the gradient's sums carried in two floats (a float
// pair hi + lo, ~48 bits: WGSL has no f64) and each result rounded to float32 once, as the addon's and the
// WebAssembly kernel's double arithmetic does on wasm. TF.js's composite of float32 ops, which webgpu ran
// before, made errors 1.6x PyTorch's where AdamW amplifies them (bench/NOTES.md, "value.bias[20]").
//
// The pair arithmetic is the classic error-free one (Knuth's two-sum, Dekker's product with the operands split
// by masking their low 12 mantissa bits, so no multiply is ever fused into the split); every intermediate is
// an f32 add, sub or mul whose rounding the next line recovers. Shader compilers re-associate float additions
// (Mesa folds (a + b) - a into b), so each sum goes through opaque() first; test/backend/webgpu.test.ts checks
// the results against float64, which any such folding would break.
import * as tf from "@tensorflow/tfjs-core";
import { webgpu_util } from "@tensorflow/tfjs-backend-webgpu";
import { KIT_LAYER_NORM, KIT_LAYER_NORM_GRAD } from "../kernel-names";

type TensorInfo = tf.TensorInfo;
type KernelFunc = tf.KernelConfig["kernelFunc"];

interface WebgpuBackendLike {
  runWebGPUProgram(program: object, inputs: TensorInfo[], outputDtype: "float32", programUniforms?: { type: string; data: number[] }[]): TensorInfo;
  disposeData(dataId: object): void;
}

const PAIR = /* wgsl */ `
// v itself, through an integer add of a uniform the compiler cannot know is 0: otherwise it folds (a + b) - a
// into b (Mesa's compiler does, measured on llvmpipe), and every error term below into 0.
fn opaque(v : f32) -> f32 {
  return bitcast<f32>(bitcast<i32>(v) + uniforms.zero);
}
fn twoSum(a : f32, b : f32) -> vec2<f32> {
  let s = opaque(a + b);
  let bb = opaque(s - a);
  return vec2<f32>(s, (a - (s - bb)) + (b - bb));
}
fn quickTwoSum(a : f32, b : f32) -> vec2<f32> {
  let s = opaque(a + b);
  return vec2<f32>(s, b - (s - a));
}
fn splitHi(a : f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(a) & 0xfffff000u);
}
fn twoProd(a : f32, b : f32) -> vec2<f32> {
  let p = a * b;
  let ah = splitHi(a);
  let al = a - ah;
  let bh = splitHi(b);
  let bl = b - bh;
  return vec2<f32>(p, ((ah * bh - p) + ah * bl + al * bh) + al * bl);
}
fn pairAdd(a : vec2<f32>, b : vec2<f32>) -> vec2<f32> {
  var s = twoSum(a.x, b.x);
  let t = twoSum(a.y, b.y);
  s.y = s.y + t.x;
  s = quickTwoSum(s.x, s.y);
  s.y = s.y + t.y;
  return quickTwoSum(s.x, s.y);
}
fn pairNeg(a : vec2<f32>) -> vec2<f32> {
  return vec2<f32>(-a.x, -a.y);
}
fn pairMul(a : vec2<f32>, b : vec2<f32>) -> vec2<f32> {
  var p = twoProd(a.x, b.x);
  p.y = p.y + (a.x * b.y + a.y * b.x);
  return quickTwoSum(p.x, p.y);
}
// a / n for an integer n below 2^24 (exact in f32).
fn pairDivN(a : vec2<f32>, n : f32) -> vec2<f32> {
  let q1 = a.x / n;
  let r = pairAdd(a, pairNeg(twoProd(q1, n)));
  let q2 = r.x / n;
  let r2 = pairAdd(r, pairNeg(twoProd(q2, n)));
  return pairAdd(quickTwoSum(q1, q2), vec2<f32>(r2.x / n, 0.0));
}
// 1 / sqrt(v) for v > 0: the f32 estimate, then two Newton steps r += r (1 - v r^2) / 2 in pairs.
fn pairRsqrt(v : vec2<f32>) -> vec2<f32> {
  var r = vec2<f32>(1.0 / sqrt(v.x), 0.0);
  for (var i = 0; i < 2; i++) {
    let e = pairAdd(vec2<f32>(1.0, 0.0), pairNeg(pairMul(v, pairMul(r, r))));
    r = pairAdd(r, pairMul(r, vec2<f32>(0.5 * e.x, 0.5 * e.y)));
  }
  return r;
}
fn pairRound(a : vec2<f32>) -> f32 {
  return a.x + a.y;
}
`;

/** A program of one flat output, one invocation per output element. */
abstract class FlatProgram {
  readonly size = true;
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly uniforms = "rows : i32, cols : i32, eps : f32, zero : i32,";
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  abstract readonly variableNames: string[];
  abstract readonly shaderKey: string;
  constructor(readonly outputShape: number[]) {
    this.dispatchLayout = webgpu_util.flatDispatchLayout(outputShape) as { x: number[] };
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize) as [number, number, number];
  }
  abstract getUserCode(): string;
}

// Row statistics [rows, 4]: mean (hi, lo) and rstd (hi, lo); each of a row's four invocations computes the row.
class StatsProgram extends FlatProgram {
  readonly variableNames = ["x"];
  readonly shaderKey = "kit_layer_norm_stats";
  getUserCode(): string {
    return `${PAIR}
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let row = index / 4;
        let cols = uniforms.cols;
        let n = f32(cols);
        var s = vec2<f32>(0.0, 0.0);
        for (var j = 0; j < cols; j++) { s = pairAdd(s, vec2<f32>(x[row * cols + j], 0.0)); }
        let mean = pairDivN(s, n);
        var q = vec2<f32>(0.0, 0.0);
        for (var j = 0; j < cols; j++) {
          let d = pairAdd(vec2<f32>(x[row * cols + j], 0.0), pairNeg(mean));
          q = pairAdd(q, pairMul(d, d));
        }
        let rs = pairRsqrt(pairAdd(pairDivN(q, n), vec2<f32>(uniforms.eps, 0.0)));
        let out = array<f32, 4>(mean.x, mean.y, rs.x, rs.y);
        result[index] = out[index % 4];
      }`;
  }
}

// xhat [rows, cols] = (x - mean) * rstd, rounded once.
class NormalizeProgram extends FlatProgram {
  readonly variableNames = ["x", "stats"];
  readonly shaderKey = "kit_layer_norm_normalize";
  getUserCode(): string {
    return `${PAIR}
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let row = index / uniforms.cols;
        let mean = vec2<f32>(stats[row * 4], stats[row * 4 + 1]);
        let rs = vec2<f32>(stats[row * 4 + 2], stats[row * 4 + 3]);
        result[index] = pairRound(pairMul(pairAdd(vec2<f32>(x[index], 0.0), pairNeg(mean)), rs));
      }`;
  }
}

// Per row [rows, 4]: mean(g) and mean(g * xhat) (hi, lo) with g = dy * w.
class GradStatsProgram extends FlatProgram {
  readonly variableNames = ["dy", "xhat", "w"];
  readonly shaderKey = "kit_layer_norm_grad_stats";
  getUserCode(): string {
    return `${PAIR}
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let row = index / 4;
        let cols = uniforms.cols;
        var sg = vec2<f32>(0.0, 0.0);
        var sgh = vec2<f32>(0.0, 0.0);
        for (var j = 0; j < cols; j++) {
          let g = twoProd(dy[row * cols + j], w[j]);
          sg = pairAdd(sg, g);
          sgh = pairAdd(sgh, pairMul(g, vec2<f32>(xhat[row * cols + j], 0.0)));
        }
        let mg = pairDivN(sg, f32(cols));
        let mgh = pairDivN(sgh, f32(cols));
        let out = array<f32, 4>(mg.x, mg.y, mgh.x, mgh.y);
        result[index] = out[index % 4];
      }`;
  }
}

// dx [rows, cols] = rstd * (g - mean(g) - xhat * mean(g * xhat)), rounded once.
class DxProgram extends FlatProgram {
  readonly variableNames = ["dy", "xhat", "w", "rstd", "gstats"];
  readonly shaderKey = "kit_layer_norm_dx";
  getUserCode(): string {
    return `${PAIR}
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let row = index / uniforms.cols;
        let col = index % uniforms.cols;
        let mg = vec2<f32>(gstats[row * 4], gstats[row * 4 + 1]);
        let mgh = vec2<f32>(gstats[row * 4 + 2], gstats[row * 4 + 3]);
        let g = twoProd(dy[index], w[col]);
        let s = pairAdd(pairAdd(g, pairNeg(mg)), pairNeg(pairMul(vec2<f32>(xhat[index], 0.0), mgh)));
        result[index] = pairRound(pairMul(vec2<f32>(rstd[row], 0.0), s));
      }`;
  }
}

// [2, cols]: dw = sum over rows of dy * xhat, db = sum over rows of dy, down the rows in order.
class ColumnSumsProgram extends FlatProgram {
  readonly variableNames = ["dy", "xhat"];
  readonly shaderKey = "kit_layer_norm_column_sums";
  getUserCode(): string {
    return `${PAIR}
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        let cols = uniforms.cols;
        let col = index % cols;
        let weighted = index < cols;
        var s = vec2<f32>(0.0, 0.0);
        for (var r = 0; r < uniforms.rows; r++) {
          let at = r * cols + col;
          if (weighted) { s = pairAdd(s, twoProd(dy[at], xhat[at])); } else { s = pairAdd(s, vec2<f32>(dy[at], 0.0)); }
        }
        result[index] = pairRound(s);
      }`;
  }
}

/** Another webgpu kernel on TensorInfos, outside the engine (as the package's own kernels call each other). */
function call(backend: WebgpuBackendLike, kernelName: string, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown> = {}): TensorInfo {
  const kernelFunc = tf.getKernel(kernelName, "webgpu")!.kernelFunc as (args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs: Record<string, unknown> }) => TensorInfo;
  return kernelFunc({ inputs, backend, attrs });
}

function rowsAndCols(shape: number[], kernel: string): { rows: number; cols: number } {
  const cols = shape[shape.length - 1];
  if (cols === undefined || cols === 0) throw new Error(`${kernel}: expected a tensor with a non-empty last axis, got shape ${JSON.stringify(shape)}`);
  return { rows: shape.reduce((p, d) => p * d, 1) / cols, cols };
}

function uniforms(rows: number, cols: number, eps = 0): { type: string; data: number[] }[] {
  return [
    { type: "int32", data: [rows] },
    { type: "int32", data: [cols] },
    { type: "float32", data: [eps] },
    { type: "int32", data: [0] },
  ];
}

const layerNormKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, weight, bias } = inputs as { x: TensorInfo; weight: TensorInfo; bias: TensorInfo };
  const eps = Math.fround((attrs as { eps: number }).eps);
  const b = backend as unknown as WebgpuBackendLike;
  const { rows, cols } = rowsAndCols(x.shape, KIT_LAYER_NORM);
  const stats = b.runWebGPUProgram(new StatsProgram([rows, 4]), [x], "float32", uniforms(rows, cols, eps));
  const xhat = b.runWebGPUProgram(new NormalizeProgram(x.shape), [x, stats], "float32", uniforms(rows, cols));
  // rstd is the pair's hi part: the float nearest to it.
  const rstd = call(b, "Slice", { x: stats }, { begin: [0, 2], size: [rows, 1] });
  const rstdShaped = call(b, "Reshape", { x: rstd }, { shape: [...x.shape.slice(0, -1), 1] });
  // y = xhat * w + b in float32, two roundings, as the other kernels have it.
  const scaled = call(b, "Multiply", { a: xhat, b: weight });
  const y = call(b, "Add", { a: scaled, b: bias });
  for (const t of [stats, rstd, scaled]) b.disposeData(t.dataId);
  return [y, xhat, rstdShaped];
};

const layerNormGradKernel: KernelFunc = ({ inputs, backend }) => {
  const { dy, xhat, rstd, weight } = inputs as { dy: TensorInfo; xhat: TensorInfo; rstd: TensorInfo; weight: TensorInfo };
  const b = backend as unknown as WebgpuBackendLike;
  const { rows, cols } = rowsAndCols(xhat.shape, KIT_LAYER_NORM_GRAD);
  const gstats = b.runWebGPUProgram(new GradStatsProgram([rows, 4]), [dy, xhat, weight], "float32", uniforms(rows, cols));
  const dx = b.runWebGPUProgram(new DxProgram(xhat.shape), [dy, xhat, weight, rstd, gstats], "float32", uniforms(rows, cols));
  const sums = b.runWebGPUProgram(new ColumnSumsProgram([2, cols]), [dy, xhat], "float32", uniforms(rows, cols));
  const dw = call(b, "Slice", { x: sums }, { begin: [0, 0], size: [1, cols] });
  const db = call(b, "Slice", { x: sums }, { begin: [1, 0], size: [1, cols] });
  const dwFlat = call(b, "Reshape", { x: dw }, { shape: [cols] });
  const dbFlat = call(b, "Reshape", { x: db }, { shape: [cols] });
  for (const t of [gstats, sums, dw, db]) b.disposeData(t.dataId);
  return [dx, dwFlat, dbFlat];
};

/** Register the pair-arithmetic LayerNorm kernels for webgpu. Idempotent. */
export function installWebgpuLayerNorm(): void {
  for (const [kernelName, kernelFunc] of [
    [KIT_LAYER_NORM, layerNormKernel],
    [KIT_LAYER_NORM_GRAD, layerNormGradKernel],
  ] as const) {
    if (tf.getKernel(kernelName, "webgpu") === undefined) tf.registerKernel({ kernelName, backendName: "webgpu", kernelFunc });
  }
}
