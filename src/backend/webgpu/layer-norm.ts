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
import { layerNormGradInputs, layerNormInputs } from "../kernel-inputs";

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

/** One WGSL program: its inputs (storage arrays of these names) and the body of main(index), one output element each. */
interface Shader {
  key: string;
  inputs: string[];
  body: string;
}

/** A program of one flat output, one invocation per output element. */
class FlatProgram {
  readonly size = true;
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly uniforms = "rows : i32, cols : i32, eps : f32, zero : i32,";
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly shaderKey: string;
  readonly variableNames: string[];
  constructor(
    private readonly shader: Shader,
    readonly outputShape: number[],
  ) {
    this.shaderKey = shader.key;
    this.variableNames = shader.inputs;
    this.dispatchLayout = webgpu_util.flatDispatchLayout(outputShape) as { x: number[] };
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, outputShape, this.workgroupSize) as [number, number, number];
  }
  getUserCode(): string {
    return `${PAIR}
      fn main(index : i32) {
        if (index >= uniforms.size) { return; }
        ${this.shader.body}
      }`;
  }
}

// Row statistics [rows, 4]: mean (hi, lo) and rstd (hi, lo); each of a row's four invocations computes the row.
const STATS: Shader = {
  key: "kit_layer_norm_stats",
  inputs: ["x"],
  body: `
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
    result[index] = out[index % 4];`,
};

// xhat [rows, cols] = (x - mean) * rstd, rounded once.
const NORMALIZE: Shader = {
  key: "kit_layer_norm_normalize",
  inputs: ["x", "stats"],
  body: `
    let row = index / uniforms.cols;
    let mean = vec2<f32>(stats[row * 4], stats[row * 4 + 1]);
    let rs = vec2<f32>(stats[row * 4 + 2], stats[row * 4 + 3]);
    result[index] = pairRound(pairMul(pairAdd(vec2<f32>(x[index], 0.0), pairNeg(mean)), rs));`,
};

// Per row [rows, 4]: mean(g) and mean(g * xhat) (hi, lo) with g = dy * w.
const GRAD_STATS: Shader = {
  key: "kit_layer_norm_grad_stats",
  inputs: ["dy", "xhat", "w"],
  body: `
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
    result[index] = out[index % 4];`,
};

// dx [rows, cols] = rstd * (g - mean(g) - xhat * mean(g * xhat)), rounded once.
const DX: Shader = {
  key: "kit_layer_norm_dx",
  inputs: ["dy", "xhat", "w", "rstd", "gstats"],
  body: `
    let row = index / uniforms.cols;
    let col = index % uniforms.cols;
    let mg = vec2<f32>(gstats[row * 4], gstats[row * 4 + 1]);
    let mgh = vec2<f32>(gstats[row * 4 + 2], gstats[row * 4 + 3]);
    let g = twoProd(dy[index], w[col]);
    let s = pairAdd(pairAdd(g, pairNeg(mg)), pairNeg(pairMul(vec2<f32>(xhat[index], 0.0), mgh)));
    result[index] = pairRound(pairMul(vec2<f32>(rstd[row], 0.0), s));`,
};

// [2, cols]: dw = sum over rows of dy * xhat, db = sum over rows of dy, down the rows in order.
const COLUMN_SUMS: Shader = {
  key: "kit_layer_norm_column_sums",
  inputs: ["dy", "xhat"],
  body: `
    let cols = uniforms.cols;
    let col = index % cols;
    let weighted = index < cols;
    var s = vec2<f32>(0.0, 0.0);
    for (var r = 0; r < uniforms.rows; r++) {
      let at = r * cols + col;
      if (weighted) { s = pairAdd(s, twoProd(dy[at], xhat[at])); } else { s = pairAdd(s, vec2<f32>(dy[at], 0.0)); }
    }
    result[index] = pairRound(s);`,
};

/** Another webgpu kernel on TensorInfos, outside the engine (as the package's own kernels call each other). */
function call(backend: WebgpuBackendLike, kernelName: string, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown> = {}): TensorInfo {
  const kernelFunc = tf.getKernel(kernelName, "webgpu")!.kernelFunc as (args: { inputs: Record<string, TensorInfo>; backend: unknown; attrs: Record<string, unknown> }) => TensorInfo;
  return kernelFunc({ inputs, backend, attrs });
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
  const { x, weight, bias, eps, rows, cols } = layerNormInputs(inputs, attrs);
  const b = backend as unknown as WebgpuBackendLike;
  const stats = b.runWebGPUProgram(new FlatProgram(STATS, [rows, 4]), [x], "float32", uniforms(rows, cols, Math.fround(eps)));
  const xhat = b.runWebGPUProgram(new FlatProgram(NORMALIZE, x.shape), [x, stats], "float32", uniforms(rows, cols));
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
  const { dy, xhat, rstd, weight, rows, cols } = layerNormGradInputs(inputs);
  const b = backend as unknown as WebgpuBackendLike;
  const gstats = b.runWebGPUProgram(new FlatProgram(GRAD_STATS, [rows, 4]), [dy, xhat, weight], "float32", uniforms(rows, cols));
  const dx = b.runWebGPUProgram(new FlatProgram(DX, xhat.shape), [dy, xhat, weight, rstd, gstats], "float32", uniforms(rows, cols));
  const sums = b.runWebGPUProgram(new FlatProgram(COLUMN_SUMS, [2, cols]), [dy, xhat], "float32", uniforms(rows, cols));
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
