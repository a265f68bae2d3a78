// One AdamW step over float32 arrays that live in the TF.js wasm backend's heap, in place: the parameter p and
// the moments m, v are overwritten, the gradient g is only read. Byte offsets; no runtime, no data.
// Compiled by src/backend/wasm/simd/build.ts (`npm run build:kernels`), called by src/backend/wasm/fused-adamw.ts.
//
// The operations are the ones of src/optim/adamw.ts / adamw-legacy.ts / consume.ts, one for one and in the
// same order, every intermediate an f32 (f32x4 lanes are IEEE float32 add/mul/div/sqrt, correctly rounded,
// subnormals kept; there is no fused multiply-add in SIMD128 and none is used). The scalars arrive already
// rounded to float32, as tf.scalar(x, "float32") rounds them. So each element gets bitwise the value the
// TF.js op sequence gives, in one pass over memory instead of ~12.
//
// Every element goes through the same vector code: the last n % 4 elements as a partial vector (lanes loaded
// and stored one by one), never reading or writing outside the arrays.

/** Lanes [0, lanes) of the vector at ptr (the others 0); lanes is 1..4. */
@inline function load(ptr: usize, lanes: i32): v128 {
  if (lanes == 4) return v128.load(ptr);
  let x = v128.load32_zero(ptr);
  if (lanes > 1) x = v128.load32_lane(ptr, x, 1, 4);
  if (lanes > 2) x = v128.load32_lane(ptr, x, 2, 8);
  return x;
}

/** Store lanes [0, lanes) of x at ptr. */
@inline function store(ptr: usize, x: v128, lanes: i32): void {
  if (lanes == 4) {
    v128.store(ptr, x);
    return;
  }
  v128.store32_lane(ptr, x, 0);
  if (lanes > 1) v128.store32_lane(ptr, x, 1, 4);
  if (lanes > 2) v128.store32_lane(ptr, x, 2, 8);
}

// m = m*beta1 + (1-beta1)*g (consume.ts updateMoments).
@inline function average(m: v128, g: v128, beta1: v128, oneMinusBeta1: v128): v128 {
  return f32x4.add(f32x4.mul(m, beta1), f32x4.mul(oneMinusBeta1, g));
}

// v = v*beta2 + ((1-beta2)*g)*g (consume.ts updateMoments).
@inline function averageSq(v: v128, g: v128, beta2: v128, oneMinusBeta2: v128): v128 {
  return f32x4.add(f32x4.mul(v, beta2), f32x4.mul(f32x4.mul(oneMinusBeta2, g), g));
}

// torch.optim.AdamW (adamw.ts): p = p*decay; moments; p = p + (negStepSize*m) / (sqrt(v)/bc2Sqrt + eps).
@inline function torchBlock(
  p: usize, g: usize, m: usize, v: usize, lanes: i32,
  decay: v128, beta1: v128, oneMinusBeta1: v128, beta2: v128, oneMinusBeta2: v128,
  biasCorrection2Sqrt: v128, eps: v128, negStepSize: v128,
): void {
  const grad = load(g, lanes);
  const decayed = f32x4.mul(load(p, lanes), decay);
  const avg = average(load(m, lanes), grad, beta1, oneMinusBeta1);
  const avgSq = averageSq(load(v, lanes), grad, beta2, oneMinusBeta2);
  store(m, avg, lanes);
  store(v, avgSq, lanes);
  const denom = f32x4.add(f32x4.div(f32x4.sqrt(avgSq), biasCorrection2Sqrt), eps);
  store(p, f32x4.add(decayed, f32x4.div(f32x4.mul(negStepSize, avg), denom)), lanes);
}

export function adamwTorch(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  decay: f32, beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32,
  biasCorrection2Sqrt: f32, eps: f32, negStepSize: f32,
): void {
  const vDecay = f32x4.splat(decay);
  const vBeta1 = f32x4.splat(beta1);
  const vOneMinusBeta1 = f32x4.splat(oneMinusBeta1);
  const vBeta2 = f32x4.splat(beta2);
  const vOneMinusBeta2 = f32x4.splat(oneMinusBeta2);
  const vBc2Sqrt = f32x4.splat(biasCorrection2Sqrt);
  const vEps = f32x4.splat(eps);
  const vNegStepSize = f32x4.splat(negStepSize);
  let o: usize = 0;
  const full = (<usize>(n >> 2)) << 4;
  for (; o < full; o += 16) {
    torchBlock(p + o, g + o, m + o, v + o, 4, vDecay, vBeta1, vOneMinusBeta1, vBeta2, vOneMinusBeta2, vBc2Sqrt, vEps, vNegStepSize);
  }
  const rest = n & 3;
  if (rest == 1) torchBlock(p + o, g + o, m + o, v + o, 1, vDecay, vBeta1, vOneMinusBeta1, vBeta2, vOneMinusBeta2, vBc2Sqrt, vEps, vNegStepSize);
  else if (rest == 2) torchBlock(p + o, g + o, m + o, v + o, 2, vDecay, vBeta1, vOneMinusBeta1, vBeta2, vOneMinusBeta2, vBc2Sqrt, vEps, vNegStepSize);
  else if (rest == 3) torchBlock(p + o, g + o, m + o, v + o, 3, vDecay, vBeta1, vOneMinusBeta1, vBeta2, vOneMinusBeta2, vBc2Sqrt, vEps, vNegStepSize);
}

// transformers' AdamW (adamw-legacy.ts): moments; p = p + (negStepSize*m) / (sqrt(v) + eps);
// then, only if decays != 0 (wd > 0), p = p + negLrWd*p.
@inline function legacyBlock(
  p: usize, g: usize, m: usize, v: usize, lanes: i32,
  beta1: v128, oneMinusBeta1: v128, beta2: v128, oneMinusBeta2: v128,
  eps: v128, negStepSize: v128, decays: bool, negLrWd: v128,
): void {
  const grad = load(g, lanes);
  const avg = average(load(m, lanes), grad, beta1, oneMinusBeta1);
  const avgSq = averageSq(load(v, lanes), grad, beta2, oneMinusBeta2);
  store(m, avg, lanes);
  store(v, avgSq, lanes);
  const denom = f32x4.add(f32x4.sqrt(avgSq), eps);
  let updated = f32x4.add(load(p, lanes), f32x4.div(f32x4.mul(negStepSize, avg), denom));
  if (decays) updated = f32x4.add(updated, f32x4.mul(negLrWd, updated));
  store(p, updated, lanes);
}

export function adamwLegacy(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32,
  eps: f32, negStepSize: f32, decays: bool, negLrWd: f32,
): void {
  const vBeta1 = f32x4.splat(beta1);
  const vOneMinusBeta1 = f32x4.splat(oneMinusBeta1);
  const vBeta2 = f32x4.splat(beta2);
  const vOneMinusBeta2 = f32x4.splat(oneMinusBeta2);
  const vEps = f32x4.splat(eps);
  const vNegStepSize = f32x4.splat(negStepSize);
  const vNegLrWd = f32x4.splat(negLrWd);
  let o: usize = 0;
  const full = (<usize>(n >> 2)) << 4;
  for (; o < full; o += 16) {
    legacyBlock(p + o, g + o, m + o, v + o, 4, vBeta1, vOneMinusBeta1, vBeta2, vOneMinusBeta2, vEps, vNegStepSize, decays, vNegLrWd);
  }
  const rest = n & 3;
  if (rest == 1) legacyBlock(p + o, g + o, m + o, v + o, 1, vBeta1, vOneMinusBeta1, vBeta2, vOneMinusBeta2, vEps, vNegStepSize, decays, vNegLrWd);
  else if (rest == 2) legacyBlock(p + o, g + o, m + o, v + o, 2, vBeta1, vOneMinusBeta1, vBeta2, vOneMinusBeta2, vEps, vNegStepSize, decays, vNegLrWd);
  else if (rest == 3) legacyBlock(p + o, g + o, m + o, v + o, 3, vBeta1, vOneMinusBeta1, vBeta2, vOneMinusBeta2, vEps, vNegStepSize, decays, vNegLrWd);
}
