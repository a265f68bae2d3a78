// LayerNorm over the last axis and its gradient, on float32 arrays that live in the TF.js wasm backend's heap
// (byte offsets; no runtime, no data). Compiled by src/backend/wasm/simd/build.ts (`npm run build:kernels`),
// called by src/backend/wasm/layer-norm.ts where the native addon's kernel (native/layer-norm.c) is absent.
//
// Why it exists: TF.js's composite of stock ops accumulates the row statistics and the gradient's sums in
// float32, and its errors are 1.6x PyTorch's at the elements AdamW amplifies (bench/NOTES.md, "value.bias[20]").
// This is native/layer-norm.c operation for operation: the row sums in double over 8 interleaved lanes (j % 8)
// added pairwise at the end, the dw / db column sums in double over the rows in order, every other product
// and difference in double, one rounding to float at the end, y = xhat * w + b in float. The addon is built
// with -ffp-contract=off and wasm has no fused multiply-add, so both give bitwise the same results
// (test/backend/wasm/layer-norm-kernel.test.ts compares them).

/** Two floats at ptr as doubles. */
@inline function load2(ptr: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(ptr));
}

/** native/layer-norm.c addLanes: ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)). */
@inline function addLanes(s01: v128, s23: v128, s45: v128, s67: v128): f64 {
  return (
    (f64x2.extract_lane(s01, 0) + f64x2.extract_lane(s01, 1)) + (f64x2.extract_lane(s23, 0) + f64x2.extract_lane(s23, 1))
  ) + (
    (f64x2.extract_lane(s45, 0) + f64x2.extract_lane(s45, 1)) + (f64x2.extract_lane(s67, 0) + f64x2.extract_lane(s67, 1))
  );
}

/**
 * A row's scalar tail element j goes into lane j % 8 (a tail is shorter than 8): `v`, lanes 2·pair and
 * 2·pair + 1, with x added to its lane when that lane is one of them.
 */
@inline function addInPair(v: v128, pair: i32, j: i32, x: f64): v128 {
  const lane = j & 7;
  if (lane >> 1 != pair) return v;
  return (lane & 1) == 0 ? f64x2.replace_lane(v, 0, f64x2.extract_lane(v, 0) + x) : f64x2.replace_lane(v, 1, f64x2.extract_lane(v, 1) + x);
}

/**
 * y, xhat [rows, cols] and rstd [rows] from x [rows, cols], w and b [cols]: per row the mean, the biased
 * variance of x - mean, rstd = 1 / sqrt(var + eps) (eps already a float32, as a double).
 */
export function layerNorm(x: usize, w: usize, b: usize, y: usize, xhat: usize, rstd: usize, rows: i32, cols: i32, eps: f64): void {
  const n = <f64>cols;
  const main = cols & ~7;
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>r * <usize>cols << 2);
    let s01 = f64x2.splat(0), s23 = f64x2.splat(0), s45 = f64x2.splat(0), s67 = f64x2.splat(0);
    for (let j = 0; j < main; j += 8) {
      const p = xr + (<usize>j << 2);
      s01 = f64x2.add(s01, load2(p));
      s23 = f64x2.add(s23, load2(p + 8));
      s45 = f64x2.add(s45, load2(p + 16));
      s67 = f64x2.add(s67, load2(p + 24));
    }
    for (let j = main; j < cols; j++) {
      const v = <f64>load<f32>(xr + (<usize>j << 2));
      s01 = addInPair(s01, 0, j, v);
      s23 = addInPair(s23, 1, j, v);
      s45 = addInPair(s45, 2, j, v);
      s67 = addInPair(s67, 3, j, v);
    }
    const mean = addLanes(s01, s23, s45, s67) / n;
    const m = f64x2.splat(mean);
    let q01 = f64x2.splat(0), q23 = f64x2.splat(0), q45 = f64x2.splat(0), q67 = f64x2.splat(0);
    for (let j = 0; j < main; j += 8) {
      const p = xr + (<usize>j << 2);
      const d01 = f64x2.sub(load2(p), m);
      const d23 = f64x2.sub(load2(p + 8), m);
      const d45 = f64x2.sub(load2(p + 16), m);
      const d67 = f64x2.sub(load2(p + 24), m);
      q01 = f64x2.add(q01, f64x2.mul(d01, d01));
      q23 = f64x2.add(q23, f64x2.mul(d23, d23));
      q45 = f64x2.add(q45, f64x2.mul(d45, d45));
      q67 = f64x2.add(q67, f64x2.mul(d67, d67));
    }
    for (let j = main; j < cols; j++) {
      const d = <f64>load<f32>(xr + (<usize>j << 2)) - mean;
      const v = d * d;
      q01 = addInPair(q01, 0, j, v);
      q23 = addInPair(q23, 1, j, v);
      q45 = addInPair(q45, 2, j, v);
      q67 = addInPair(q67, 3, j, v);
    }
    const rs = 1.0 / Math.sqrt(addLanes(q01, q23, q45, q67) / n + eps);
    const hr = xhat + (<usize>r * <usize>cols << 2);
    const yr = y + (<usize>r * <usize>cols << 2);
    for (let j = 0; j < cols; j++) {
      const at = <usize>j << 2;
      const h = <f32>((<f64>load<f32>(xr + at) - mean) * rs);
      store<f32>(hr + at, h);
      store<f32>(yr + at, h * load<f32>(w + at) + load<f32>(b + at));
    }
    store<f32>(rstd + (<usize>r << 2), <f32>rs);
  }
}

/**
 * dx [rows, cols], dw and db [cols] from dy and xhat [rows, cols], rstd [rows] and w [cols]:
 * dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * w; dw = sum over rows of dy * xhat,
 * db = sum over rows of dy.
 */
export function layerNormGrad(dy: usize, xhat: usize, rstd: usize, w: usize, dx: usize, dw: usize, db: usize, rows: i32, cols: i32): void {
  const n = <f64>cols;
  const main = cols & ~7;
  for (let r = 0; r < rows; r++) {
    const gr = dy + (<usize>r * <usize>cols << 2);
    const hr = xhat + (<usize>r * <usize>cols << 2);
    let s01 = f64x2.splat(0), s23 = f64x2.splat(0), s45 = f64x2.splat(0), s67 = f64x2.splat(0);
    for (let j = 0; j < main; j += 8) {
      const p = <usize>j << 2;
      s01 = f64x2.add(s01, f64x2.mul(load2(gr + p), load2(w + p)));
      s23 = f64x2.add(s23, f64x2.mul(load2(gr + p + 8), load2(w + p + 8)));
      s45 = f64x2.add(s45, f64x2.mul(load2(gr + p + 16), load2(w + p + 16)));
      s67 = f64x2.add(s67, f64x2.mul(load2(gr + p + 24), load2(w + p + 24)));
    }
    for (let j = main; j < cols; j++) {
      const p = <usize>j << 2;
      const v = <f64>load<f32>(gr + p) * <f64>load<f32>(w + p);
      s01 = addInPair(s01, 0, j, v);
      s23 = addInPair(s23, 1, j, v);
      s45 = addInPair(s45, 2, j, v);
      s67 = addInPair(s67, 3, j, v);
    }
    let t01 = f64x2.splat(0), t23 = f64x2.splat(0), t45 = f64x2.splat(0), t67 = f64x2.splat(0);
    for (let j = 0; j < main; j += 8) {
      const p = <usize>j << 2;
      t01 = f64x2.add(t01, f64x2.mul(f64x2.mul(load2(gr + p), load2(w + p)), load2(hr + p)));
      t23 = f64x2.add(t23, f64x2.mul(f64x2.mul(load2(gr + p + 8), load2(w + p + 8)), load2(hr + p + 8)));
      t45 = f64x2.add(t45, f64x2.mul(f64x2.mul(load2(gr + p + 16), load2(w + p + 16)), load2(hr + p + 16)));
      t67 = f64x2.add(t67, f64x2.mul(f64x2.mul(load2(gr + p + 24), load2(w + p + 24)), load2(hr + p + 24)));
    }
    for (let j = main; j < cols; j++) {
      const p = <usize>j << 2;
      const v = <f64>load<f32>(gr + p) * <f64>load<f32>(w + p) * <f64>load<f32>(hr + p);
      t01 = addInPair(t01, 0, j, v);
      t23 = addInPair(t23, 1, j, v);
      t45 = addInPair(t45, 2, j, v);
      t67 = addInPair(t67, 3, j, v);
    }
    const meanG = addLanes(s01, s23, s45, s67) / n;
    const meanGH = addLanes(t01, t23, t45, t67) / n;
    const rs = <f64>load<f32>(rstd + (<usize>r << 2));
    const dr = dx + (<usize>r * <usize>cols << 2);
    for (let j = 0; j < cols; j++) {
      const p = <usize>j << 2;
      const g = <f64>load<f32>(gr + p) * <f64>load<f32>(w + p);
      store<f32>(dr + p, <f32>(rs * (g - meanG - <f64>load<f32>(hr + p) * meanGH)));
    }
  }
  // The column sums over the rows in order, as native/layer-norm.c's running dwSum / dbSum (this module has no
  // memory of its own for a row of double sums): eight columns at a time down all rows, then one at a time.
  const stride = <usize>cols << 2;
  let j = 0;
  for (; j + 8 <= cols; j += 8) {
    const p = <usize>j << 2;
    let w0 = f64x2.splat(0), w1 = f64x2.splat(0), w2 = f64x2.splat(0), w3 = f64x2.splat(0);
    let b0 = f64x2.splat(0), b1 = f64x2.splat(0), b2 = f64x2.splat(0), b3 = f64x2.splat(0);
    let g = dy + p, h = xhat + p;
    for (let r = 0; r < rows; r++) {
      const g0 = load2(g), g1 = load2(g + 8), g2 = load2(g + 16), g3 = load2(g + 24);
      w0 = f64x2.add(w0, f64x2.mul(g0, load2(h)));
      w1 = f64x2.add(w1, f64x2.mul(g1, load2(h + 8)));
      w2 = f64x2.add(w2, f64x2.mul(g2, load2(h + 16)));
      w3 = f64x2.add(w3, f64x2.mul(g3, load2(h + 24)));
      b0 = f64x2.add(b0, g0);
      b1 = f64x2.add(b1, g1);
      b2 = f64x2.add(b2, g2);
      b3 = f64x2.add(b3, g3);
      g += stride;
      h += stride;
    }
    v128.store64_lane(dw + p, f32x4.demote_f64x2_zero(w0), 0);
    v128.store64_lane(dw + p + 8, f32x4.demote_f64x2_zero(w1), 0);
    v128.store64_lane(dw + p + 16, f32x4.demote_f64x2_zero(w2), 0);
    v128.store64_lane(dw + p + 24, f32x4.demote_f64x2_zero(w3), 0);
    v128.store64_lane(db + p, f32x4.demote_f64x2_zero(b0), 0);
    v128.store64_lane(db + p + 8, f32x4.demote_f64x2_zero(b1), 0);
    v128.store64_lane(db + p + 16, f32x4.demote_f64x2_zero(b2), 0);
    v128.store64_lane(db + p + 24, f32x4.demote_f64x2_zero(b3), 0);
  }
  for (; j < cols; j++) {
    const p = <usize>j << 2;
    let sw: f64 = 0, sb: f64 = 0;
    for (let r = 0; r < rows; r++) {
      const at = <usize>r * stride + p;
      const gv = <f64>load<f32>(dy + at);
      sw += gv * <f64>load<f32>(xhat + at);
      sb += gv;
    }
    store<f32>(dw + p, <f32>sw);
    store<f32>(db + p, <f32>sb);
  }
}
