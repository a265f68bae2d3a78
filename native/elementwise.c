// BERT's exact GELU and its gradient for the kit's wasm backend (src/backend/wasm/native-elementwise.ts), on
// tensors where they lie in the wasm heap (byte offsets, no copies), replacing the ~30 TF.js kernels of the
// composite in src/nn/functional.ts.
//
// The formulas are aten's GeluKernelImpl / GeluBackwardKernelImpl (aten/src/ATen/native/cpu/Activation.cpp,
// approximate="none", float): y = x * cdf, dx = dy * (cdf + x * pdf), pdf = kBeta * exp(x * x * -0.5) with
// kBeta = M_2_SQRTPI * M_SQRT1_2 * 0.5 rounded to float. One difference, kept on purpose: aten's
// cdf = 0.5 * (1 + erf(x * M_SQRT1_2)) cancels to 0 for x below about -5.7 in float32 (gelu(-6) = 0 instead of
// -5.9e-9); the kit promises GELU within 1e-5 relative in the negative tail (test/nn/gelu.test.ts), so cdf is
// 0.5 * erfc(|x| / sqrt 2) for x < 0 and 1 minus that for x >= 0, the same split as the composite.
//
// erfc is Numerical Recipes' erfcc (relative error below 1.2e-7 for z >= 0, one exp and one division), the
// fit the composite uses, and exp a Cody-Waite reduction with Cephes' expf polynomial (about 1 ulp): libm's
// erff/expf are calls the compiler cannot vectorize, and cost ~20 ns per element here, more than the composite.
// Written without branches so that the loops vectorize; compiled with -ffp-contract=off, so every lane rounds
// as the scalar code would and the results do not depend on the vector width.
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <node_api.h>
#include "args.h"
#include "vector-clones.h"
#include "exp-non-positive.h"

// M_SQRT1_2 and M_2_SQRTPI * M_SQRT1_2 * 0.5 (math.h hides the M_ constants under -std=c11).
static const float kAlpha = (float)0.70710678118654752440;
static const float kBeta = (float)(1.12837916709551257390 * 0.70710678118654752440 * 0.5);

// Phi(-|x|) = erfc(|x| / sqrt 2) / 2.
static inline float lowerTail(float x) {
  float z = fabsf(x) * kAlpha;
  float t = 1.0f / (1.0f + 0.5f * z);
  float poly = 0.17087277f;
  poly = -0.82215223f + t * poly;
  poly = 1.48851587f + t * poly;
  poly = -1.13520398f + t * poly;
  poly = 0.27886807f + t * poly;
  poly = -0.18628806f + t * poly;
  poly = 0.09678418f + t * poly;
  poly = 0.37409196f + t * poly;
  poly = 1.00002368f + t * poly;
  poly = -1.26551223f + t * poly;
  return 0.5f * (t * expNonPositive(poly - z * z));
}

static inline float normalCdf(float x) {
  float lower = lowerTail(x);
  return x < 0.0f ? lower : 1.0f - lower;
}


// No restrict: y may be x (in place), which the element-by-element loops allow; the compiler checks at run time.
VECTOR_CLONES static void geluLoop(const float *x, float *y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = x[i] * normalCdf(x[i]);
}

VECTOR_CLONES static void geluGradLoop(const float *dy, const float *x, float *dx, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    float v = x[i];
    float pdf = kBeta * expNonPositive(v * v * -0.5f);
    dx[i] = dy[i] * (normalCdf(v) + v * pdf);
  }
}

// gelu(heap, xByte, yByte, n): y = x * Phi(x). y is x (in place) or apart from it.
static napi_value gelu(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!getArgs(env, info, 4, argv, "native gelu: gelu takes 4 arguments (heap, xByte, yByte, n)")) return NULL;
  float *heap;
  size_t floats;
  int64_t xo, yo, n;
  if (!getHeap(env, argv[0], &heap, &floats) || !getInt(env, argv[1], &xo) || !getInt(env, argv[2], &yo) ||
      !getInt(env, argv[3], &n)) {
    return NULL;
  }
  if (!insideFlat(env, xo, n, floats, "native gelu: x lies outside the heap (or a negative size or unaligned offset)") ||
      !insideFlat(env, yo, n, floats, "native gelu: y lies outside the heap (or an unaligned offset)")) {
    return NULL;
  }
  if (xo != yo && overlapsFlat(xo, n, yo, n)) {
    nativeFail(env, "native gelu: x and y overlap");
    return NULL;
  }
  geluLoop(heap + xo / 4, heap + yo / 4, n);
  return NULL;
}

// geluGrad(heap, dyByte, xByte, dxByte, n): dx = dy * (Phi(x) + x phi(x)). dx is dy, x, or apart from both.
static napi_value geluGrad(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!getArgs(env, info, 5, argv, "native gelu: geluGrad takes 5 arguments (heap, dyByte, xByte, dxByte, n)")) return NULL;
  float *heap;
  size_t floats;
  int64_t dyo, xo, dxo, n;
  if (!getHeap(env, argv[0], &heap, &floats) || !getInt(env, argv[1], &dyo) || !getInt(env, argv[2], &xo) ||
      !getInt(env, argv[3], &dxo) || !getInt(env, argv[4], &n)) {
    return NULL;
  }
  if (!insideFlat(env, dyo, n, floats, "native gelu: dy lies outside the heap (or a negative size or unaligned offset)") ||
      !insideFlat(env, xo, n, floats, "native gelu: x lies outside the heap (or an unaligned offset)") ||
      !insideFlat(env, dxo, n, floats, "native gelu: dx lies outside the heap (or an unaligned offset)")) {
    return NULL;
  }
  if ((dxo != dyo && overlapsFlat(dxo, n, dyo, n)) || (dxo != xo && overlapsFlat(dxo, n, xo, n))) {
    nativeFail(env, "native gelu: dx overlaps dy or x");
    return NULL;
  }
  geluGradLoop(heap + dyo / 4, heap + xo / 4, heap + dxo / 4, n);
  return NULL;
}

// Which copy of the vector loops this process runs: "avx2" (the clone, chosen because the CPU has AVX2),
// "baseline" (no clones built, or a CPU without AVX2). For the test that compares the two builds.
static napi_value vectorLoops(napi_env env, napi_callback_info info) {
  (void)info;
  const char *which = "baseline";
#if KIT_HAS_VECTOR_CLONES
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) which = "avx2";
#endif
  napi_value out;
  CHECK(napi_create_string_utf8(env, which, NAPI_AUTO_LENGTH, &out));
  return out;
}

napi_status registerElementwise(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"gelu", NULL, gelu, NULL, NULL, NULL, napi_default, NULL},
      {"geluGrad", NULL, geluGrad, NULL, NULL, NULL, napi_default, NULL},
      {"vectorLoops", NULL, vectorLoops, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
