// C[b] = A[b] @ B[b] for float32 row-major matrices that live in the TF.js wasm backend's heap: this module
// imports the backend's own WebAssembly.Memory and is handed byte offsets, so nothing is copied.
// Compiled by src/backend/wasm/simd/build.ts (`npm run build:kernels`); AssemblyScript, no runtime, no data.
//
// Summation order is the one of the package kernel each export replaces, so results are bitwise the package's:
// - batchMatMul: tfjs-backend-wasm 4.22's own batched loop (batch_mat_mul_impl.cc): k runs in blocks of 48;
//   within a block a partial sum starts at 0 and adds a*b in k order (a mul then an add, wasm has no FMA);
//   C starts at 0 and adds each block's partial.
// - matMul (one product): XNNPACK's GEMM, which the package uses for those: one sum per element from 0, adding
//   a*b over the whole of k in order. The tiles below take the k block length as `kb`; k itself means one block.
// Vectorising over output columns keeps every element's order.

const KB: i32 = 48;

// matMul's column panel. A panel of B (k x 64 floats: 64 KB at k = 256, 256 KB at k = 1024) stays in the
// core's L2 while every 4-row strip of A goes through it, instead of all of B going through the cache again
// for each strip (as in batchMatMul, whose matrices are attention's small ones). Panels of 32 to 1024 columns
// measured alike on one process (BERT-Mini's products); the kernel loses less speed than XNNPACK's when two
// processes share the machine (bench/NOTES.md, "Our own dense matMul").
const NC: i32 = 64;

@inline function rowsOf(a: usize, lda: usize, r: i32): usize {
  return a + <usize>r * lda;
}

// Four rows by eight columns: the main tile (8 partial sums; C is read and written once per k block).
function tile4x8(a: usize, b: usize, c: usize, k: i32, lda: usize, ldb: usize, ldc: usize, kb: i32): void {
  const zero = f32x4.splat(0);
  for (let k0 = 0; k0 < k; k0 += kb) {
    const k1 = min(k0 + kb, k);
    let s00 = zero, s01 = zero, s10 = zero, s11 = zero, s20 = zero, s21 = zero, s30 = zero, s31 = zero;
    let pa = a + (<usize>k0 << 2);
    let pb = b + <usize>k0 * ldb;
    for (let kk = k0; kk < k1; kk++) {
      const b0 = v128.load(pb);
      const b1 = v128.load(pb, 16);
      let av = v128.load32_splat(pa);
      s00 = f32x4.add(s00, f32x4.mul(av, b0));
      s01 = f32x4.add(s01, f32x4.mul(av, b1));
      av = v128.load32_splat(pa + lda);
      s10 = f32x4.add(s10, f32x4.mul(av, b0));
      s11 = f32x4.add(s11, f32x4.mul(av, b1));
      av = v128.load32_splat(pa + 2 * lda);
      s20 = f32x4.add(s20, f32x4.mul(av, b0));
      s21 = f32x4.add(s21, f32x4.mul(av, b1));
      av = v128.load32_splat(pa + 3 * lda);
      s30 = f32x4.add(s30, f32x4.mul(av, b0));
      s31 = f32x4.add(s31, f32x4.mul(av, b1));
      pa += 4;
      pb += ldb;
    }
    const first = k0 == 0;
    let pc = c;
    v128.store(pc, f32x4.add(first ? zero : v128.load(pc), s00));
    v128.store(pc, f32x4.add(first ? zero : v128.load(pc, 16), s01), 16);
    pc += ldc;
    v128.store(pc, f32x4.add(first ? zero : v128.load(pc), s10));
    v128.store(pc, f32x4.add(first ? zero : v128.load(pc, 16), s11), 16);
    pc += ldc;
    v128.store(pc, f32x4.add(first ? zero : v128.load(pc), s20));
    v128.store(pc, f32x4.add(first ? zero : v128.load(pc, 16), s21), 16);
    pc += ldc;
    v128.store(pc, f32x4.add(first ? zero : v128.load(pc), s30));
    v128.store(pc, f32x4.add(first ? zero : v128.load(pc, 16), s31), 16);
  }
}

// Four rows by four columns.
function tile4x4(a: usize, b: usize, c: usize, k: i32, lda: usize, ldb: usize, ldc: usize, kb: i32): void {
  const zero = f32x4.splat(0);
  for (let k0 = 0; k0 < k; k0 += kb) {
    const k1 = min(k0 + kb, k);
    let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
    let pa = a + (<usize>k0 << 2);
    let pb = b + <usize>k0 * ldb;
    for (let kk = k0; kk < k1; kk++) {
      const b0 = v128.load(pb);
      s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(pa), b0));
      s1 = f32x4.add(s1, f32x4.mul(v128.load32_splat(pa + lda), b0));
      s2 = f32x4.add(s2, f32x4.mul(v128.load32_splat(pa + 2 * lda), b0));
      s3 = f32x4.add(s3, f32x4.mul(v128.load32_splat(pa + 3 * lda), b0));
      pa += 4;
      pb += ldb;
    }
    const first = k0 == 0;
    let pc = c;
    v128.store(pc, f32x4.add(first ? zero : v128.load(pc), s0));
    pc += ldc;
    v128.store(pc, f32x4.add(first ? zero : v128.load(pc), s1));
    pc += ldc;
    v128.store(pc, f32x4.add(first ? zero : v128.load(pc), s2));
    pc += ldc;
    v128.store(pc, f32x4.add(first ? zero : v128.load(pc), s3));
  }
}

// One row by eight columns (the rows left below the last block of four).
function tile1x8(a: usize, b: usize, c: usize, k: i32, ldb: usize, kb: i32): void {
  const zero = f32x4.splat(0);
  for (let k0 = 0; k0 < k; k0 += kb) {
    const k1 = min(k0 + kb, k);
    let s0 = zero, s1 = zero;
    let pa = a + (<usize>k0 << 2);
    let pb = b + <usize>k0 * ldb;
    for (let kk = k0; kk < k1; kk++) {
      const av = v128.load32_splat(pa);
      s0 = f32x4.add(s0, f32x4.mul(av, v128.load(pb)));
      s1 = f32x4.add(s1, f32x4.mul(av, v128.load(pb, 16)));
      pa += 4;
      pb += ldb;
    }
    const first = k0 == 0;
    v128.store(c, f32x4.add(first ? zero : v128.load(c), s0));
    v128.store(c, f32x4.add(first ? zero : v128.load(c, 16), s1), 16);
  }
}

// One row by four columns.
function tile1x4(a: usize, b: usize, c: usize, k: i32, ldb: usize, kb: i32): void {
  const zero = f32x4.splat(0);
  for (let k0 = 0; k0 < k; k0 += kb) {
    const k1 = min(k0 + kb, k);
    let s0 = zero;
    let pa = a + (<usize>k0 << 2);
    let pb = b + <usize>k0 * ldb;
    for (let kk = k0; kk < k1; kk++) {
      s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(pa), v128.load(pb)));
      pa += 4;
      pb += ldb;
    }
    v128.store(c, f32x4.add(k0 == 0 ? zero : v128.load(c), s0));
  }
}

// The last r = N % 4 columns (1 to 3) as a partial vector: lanes past r load as 0 and are never stored, so
// nothing is read or written outside the matrices. `r` is a constant at each (inlined) call site.
@inline function loadTail(p: usize, r: i32): v128 {
  if (r == 1) return v128.load32_zero(p);
  if (r == 2) return v128.load64_zero(p);
  return v128.load32_lane(p, v128.load64_zero(p), 2, 8);
}

@inline function storeTail(p: usize, v: v128, r: i32): void {
  if (r == 1) {
    v128.store32_lane(p, v, 0);
  } else if (r == 2) {
    v128.store64_lane(p, v, 0);
  } else {
    v128.store64_lane(p, v, 0);
    v128.store32_lane(p, v, 2, 8);
  }
}

// Four rows by the last r columns.
@inline function tile4xR(a: usize, b: usize, c: usize, k: i32, lda: usize, ldb: usize, ldc: usize, r: i32, kb: i32): void {
  const zero = f32x4.splat(0);
  for (let k0 = 0; k0 < k; k0 += kb) {
    const k1 = min(k0 + kb, k);
    let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
    let pa = a + (<usize>k0 << 2);
    let pb = b + <usize>k0 * ldb;
    for (let kk = k0; kk < k1; kk++) {
      const b0 = loadTail(pb, r);
      s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(pa), b0));
      s1 = f32x4.add(s1, f32x4.mul(v128.load32_splat(pa + lda), b0));
      s2 = f32x4.add(s2, f32x4.mul(v128.load32_splat(pa + 2 * lda), b0));
      s3 = f32x4.add(s3, f32x4.mul(v128.load32_splat(pa + 3 * lda), b0));
      pa += 4;
      pb += ldb;
    }
    const first = k0 == 0;
    let pc = c;
    storeTail(pc, f32x4.add(first ? zero : loadTail(pc, r), s0), r);
    pc += ldc;
    storeTail(pc, f32x4.add(first ? zero : loadTail(pc, r), s1), r);
    pc += ldc;
    storeTail(pc, f32x4.add(first ? zero : loadTail(pc, r), s2), r);
    pc += ldc;
    storeTail(pc, f32x4.add(first ? zero : loadTail(pc, r), s3), r);
  }
}

// One row by the last r columns.
@inline function tile1xR(a: usize, b: usize, c: usize, k: i32, ldb: usize, r: i32, kb: i32): void {
  const zero = f32x4.splat(0);
  for (let k0 = 0; k0 < k; k0 += kb) {
    const k1 = min(k0 + kb, k);
    let s0 = zero;
    let pa = a + (<usize>k0 << 2);
    let pb = b + <usize>k0 * ldb;
    for (let kk = k0; kk < k1; kk++) {
      s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(pa), loadTail(pb, r)));
      pa += 4;
      pb += ldb;
    }
    storeTail(c, f32x4.add(k0 == 0 ? zero : loadTail(c, r), s0), r);
  }
}

function tail4(a: usize, b: usize, c: usize, k: i32, lda: usize, ldb: usize, ldc: usize, r: i32, kb: i32): void {
  if (r == 1) tile4xR(a, b, c, k, lda, ldb, ldc, 1, kb);
  else if (r == 2) tile4xR(a, b, c, k, lda, ldb, ldc, 2, kb);
  else if (r == 3) tile4xR(a, b, c, k, lda, ldb, ldc, 3, kb);
}

function tail1(a: usize, b: usize, c: usize, k: i32, ldb: usize, r: i32, kb: i32): void {
  if (r == 1) tile1xR(a, b, c, k, ldb, 1, kb);
  else if (r == 2) tile1xR(a, b, c, k, ldb, 2, kb);
  else if (r == 3) tile1xR(a, b, c, k, ldb, 3, kb);
}

// Columns [j0, j1) of C = A @ B, every row strip of A: 4x8 tiles, then 4x4, then the tail; rows past the last
// multiple of 4 one at a time. k blocks of kb.
function columns(a: usize, b: usize, c: usize, m: i32, k: i32, lda: usize, ldb: usize, ldc: usize, j0: i32, j1: i32, kb: i32): void {
  const m4 = m & ~3;
  const n8 = j0 + ((j1 - j0) & ~7);
  const n4 = j0 + ((j1 - j0) & ~3);
  for (let i = 0; i < m4; i += 4) {
    const ai = rowsOf(a, lda, i);
    const ci = rowsOf(c, ldc, i);
    let j = j0;
    for (; j < n8; j += 8) tile4x8(ai, b + (<usize>j << 2), ci + (<usize>j << 2), k, lda, ldb, ldc, kb);
    for (; j < n4; j += 4) tile4x4(ai, b + (<usize>j << 2), ci + (<usize>j << 2), k, lda, ldb, ldc, kb);
    tail4(ai, b + (<usize>j << 2), ci + (<usize>j << 2), k, lda, ldb, ldc, j1 - j, kb);
  }
  for (let i = m4; i < m; i++) {
    const ai = rowsOf(a, lda, i);
    const ci = rowsOf(c, ldc, i);
    let j = j0;
    for (; j < n8; j += 8) tile1x8(ai, b + (<usize>j << 2), ci + (<usize>j << 2), k, ldb, kb);
    for (; j < n4; j += 4) tile1x4(ai, b + (<usize>j << 2), ci + (<usize>j << 2), k, ldb, kb);
    tail1(ai, b + (<usize>j << 2), ci + (<usize>j << 2), k, ldb, j1 - j, kb);
  }
}

/**
 * C[i] = A[i] @ B[i] for i < batch; A is [batch, m, k], B [batch, k, n], C [batch, m, n], all float32,
 * row-major, at byte offsets a, b, c of the imported memory. m, n, k >= 1.
 */
export function batchMatMul(a: usize, b: usize, c: usize, batch: i32, m: i32, k: i32, n: i32): void {
  const lda = <usize>k << 2;
  const ldb = <usize>n << 2;
  const ldc = <usize>n << 2;
  for (let p = 0; p < batch; p++) {
    columns(a, b, c, m, k, lda, ldb, ldc, 0, n, KB);
    a += <usize>m * lda;
    b += <usize>k * ldb;
    c += <usize>m * ldc;
  }
}

/**
 * C = A @ B for one product, A [m, k], B [k, n], C [m, n], float32 row-major at byte offsets a, b, c of the
 * imported memory; m, n, k >= 1. Columns in panels of NC, each panel through every row strip of A.
 */
export function matMul(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32): void {
  const lda = <usize>k << 2;
  const ldb = <usize>n << 2;
  for (let j0 = 0; j0 < n; j0 += NC) columns(a, b, c, m, k, lda, ldb, ldb, j0, min(j0 + NC, n), k);
}
