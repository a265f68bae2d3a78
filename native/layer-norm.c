// LayerNorm over the last axis and its gradient for the kit's wasm backend (src/backend/wasm/native-elementwise.ts),
// on tensors where they lie in the wasm heap (byte offsets, no copies), replacing the ~8 TF.js kernels forward
// and ~10 backward of the composite in src/nn/functional.ts (each a full pass with a temporary).
//
// As torch: per row the mean, then the biased variance of x - mean, rstd = 1 / sqrt(var + eps); the backward
// is torch's closed form dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * w, dw = sum over rows
// of dy * xhat, db = sum over rows of dy. Row statistics and the dw / db column sums accumulate in double
// (torch's float Welford and the composite's float sums lose bits to rows with a large mean; here the only
// roundings are the final casts to float), and in a fixed order, so results do not depend on the vector width.
// y = xhat * w + b is computed in float from the float xhat the backward reads, as the composite does.
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <node_api.h>
#include "args.h"
#include "vector-clones.h"

// Sums over a row in 8 interleaved partial sums (lane j % 8), added pairwise at the end: a fixed order, so the
// same result at any vector width, and the loop vectorizes, where one running sum would be a chain of
// dependent additions (4 cycles each).
#define LANES 8

static inline double addLanes(const double *s) {
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}


VECTOR_CLONES static void layerNormRows(const float *x, const float *w, const float *b, float *y, float *xhat,
                                        float *rstd, int64_t rows, int64_t cols, double eps) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    double sum[LANES] = {0}, squares[LANES] = {0};
    int64_t j = 0;
    for (; j + LANES <= cols; j += LANES) {
      for (int k = 0; k < LANES; k++) sum[k] += xr[j + k];
    }
    for (; j < cols; j++) sum[j % LANES] += xr[j];
    double mean = addLanes(sum) / (double)cols;
    for (j = 0; j + LANES <= cols; j += LANES) {
      for (int k = 0; k < LANES; k++) {
        double d = xr[j + k] - mean;
        squares[k] += d * d;
      }
    }
    for (; j < cols; j++) {
      double d = xr[j] - mean;
      squares[j % LANES] += d * d;
    }
    double rs = 1.0 / sqrt(addLanes(squares) / (double)cols + eps);
    float *hr = xhat + r * cols;
    float *yr = y + r * cols;
    for (int64_t j = 0; j < cols; j++) {
      float h = (float)((xr[j] - mean) * rs);
      hr[j] = h;
      yr[j] = h * w[j] + b[j];
    }
    rstd[r] = (float)rs;
  }
}

// dwSum / dbSum: cols doubles each, zeroed by the caller.
VECTOR_CLONES static void layerNormGradRows(const float *dy, const float *xhat, const float *rstd, const float *w,
                                            float *dx, double *dwSum, double *dbSum, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    const float *gr = dy + r * cols;
    const float *hr = xhat + r * cols;
    double sumG[LANES] = {0}, sumGH[LANES] = {0};
    int64_t j = 0;
    for (; j + LANES <= cols; j += LANES) {
      for (int k = 0; k < LANES; k++) sumG[k] += (double)gr[j + k] * w[j + k];
    }
    for (; j < cols; j++) sumG[j % LANES] += (double)gr[j] * w[j];
    for (j = 0; j + LANES <= cols; j += LANES) {
      for (int k = 0; k < LANES; k++) sumGH[k] += (double)gr[j + k] * w[j + k] * hr[j + k];
    }
    for (; j < cols; j++) sumGH[j % LANES] += (double)gr[j] * w[j] * hr[j];
    double meanG = addLanes(sumG) / (double)cols;
    double meanGH = addLanes(sumGH) / (double)cols;
    double rs = rstd[r];
    float *dr = dx + r * cols;
    for (j = 0; j < cols; j++) {
      double g = (double)gr[j] * w[j];
      dr[j] = (float)(rs * (g - meanG - hr[j] * meanGH));
      dwSum[j] += (double)gr[j] * hr[j];
      dbSum[j] += gr[j];
    }
  }
}

// The outputs (first `outs` of the ranges) must be apart from each other and from every input.
static int apart(napi_env env, const int64_t *byte, const int64_t *n, int count, int outs, const char *msg) {
  for (int i = 0; i < outs; i++) {
    for (int j = 0; j < count; j++) {
      if (j != i && overlapsFlat(byte[i], n[i], byte[j], n[j])) return nativeFail(env, msg);
    }
  }
  return 1;
}

// layerNorm(heap, xByte, wByte, bByte, yByte, xhatByte, rstdByte, rows, cols, eps): x, y, xhat [rows, cols],
// w, b [cols], rstd [rows]. y, xhat and rstd apart from each other and from the inputs.
static napi_value layerNorm(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!getArgs(env, info, 10, argv,
               "native layer norm: layerNorm takes 10 arguments (heap, xByte, wByte, bByte, yByte, xhatByte, rstdByte, rows, cols, eps)")) {
    return NULL;
  }
  float *heap;
  size_t floats;
  int64_t off[6], rows, cols;
  double eps;
  if (!getHeap(env, argv[0], &heap, &floats)) return NULL;
  for (int i = 0; i < 6; i++) {
    if (!getInt(env, argv[1 + i], &off[i])) return NULL;
  }
  const char *shape = "native layer norm: expected 0 <= rows < 2^31, 0 < cols < 2^31 and eps >= 0";
  if (!getRowsCols(env, argv[7], argv[8], &rows, &cols, shape) || !getNum(env, argv[9], &eps)) return NULL;
  if (!(eps >= 0)) {
    nativeFail(env, shape);
    return NULL;
  }
  const int64_t x = off[0], w = off[1], b = off[2], y = off[3], xhat = off[4], rstd = off[5];
  if (!insideFlat(env, x, rows * cols, floats, "native layer norm: x lies outside the heap (or an unaligned offset)") ||
      !insideFlat(env, w, cols, floats, "native layer norm: w lies outside the heap (or an unaligned offset)") ||
      !insideFlat(env, b, cols, floats, "native layer norm: b lies outside the heap (or an unaligned offset)") ||
      !insideFlat(env, y, rows * cols, floats, "native layer norm: y lies outside the heap (or an unaligned offset)") ||
      !insideFlat(env, xhat, rows * cols, floats, "native layer norm: xhat lies outside the heap (or an unaligned offset)") ||
      !insideFlat(env, rstd, rows, floats, "native layer norm: rstd lies outside the heap (or an unaligned offset)")) {
    return NULL;
  }
  const int64_t ranges[6] = {y, xhat, rstd, x, w, b};
  const int64_t sizes[6] = {rows * cols, rows * cols, rows, rows * cols, cols, cols};
  if (!apart(env, ranges, sizes, 6, 3, "native layer norm: y, xhat or rstd overlaps another argument")) return NULL;
  // eps rounded to float first, as torch's float kernel and the composite's float32 scalar have it.
  layerNormRows(heap + x / 4, heap + w / 4, heap + b / 4, heap + y / 4, heap + xhat / 4, heap + rstd / 4, rows, cols,
                (double)(float)eps);
  return NULL;
}

// layerNormGrad(heap, dyByte, xhatByte, rstdByte, wByte, dxByte, dwByte, dbByte, rows, cols): dy, xhat, dx
// [rows, cols], rstd [rows], w, dw, db [cols]. dx, dw and db apart from each other and from the inputs.
static napi_value layerNormGrad(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!getArgs(env, info, 10, argv,
               "native layer norm: layerNormGrad takes 10 arguments (heap, dyByte, xhatByte, rstdByte, wByte, dxByte, dwByte, dbByte, rows, cols)")) {
    return NULL;
  }
  float *heap;
  size_t floats;
  int64_t off[7], rows, cols;
  if (!getHeap(env, argv[0], &heap, &floats)) return NULL;
  for (int i = 0; i < 7; i++) {
    if (!getInt(env, argv[1 + i], &off[i])) return NULL;
  }
  if (!getRowsCols(env, argv[8], argv[9], &rows, &cols, "native layer norm: expected 0 <= rows < 2^31 and 0 < cols < 2^31")) return NULL;
  const int64_t dy = off[0], xhat = off[1], rstd = off[2], w = off[3], dx = off[4], dw = off[5], db = off[6];
  if (!insideFlat(env, dy, rows * cols, floats, "native layer norm: dy lies outside the heap (or an unaligned offset)") ||
      !insideFlat(env, xhat, rows * cols, floats, "native layer norm: xhat lies outside the heap (or an unaligned offset)") ||
      !insideFlat(env, rstd, rows, floats, "native layer norm: rstd lies outside the heap (or an unaligned offset)") ||
      !insideFlat(env, w, cols, floats, "native layer norm: w lies outside the heap (or an unaligned offset)") ||
      !insideFlat(env, dx, rows * cols, floats, "native layer norm: dx lies outside the heap (or an unaligned offset)") ||
      !insideFlat(env, dw, cols, floats, "native layer norm: dw lies outside the heap (or an unaligned offset)") ||
      !insideFlat(env, db, cols, floats, "native layer norm: db lies outside the heap (or an unaligned offset)")) {
    return NULL;
  }
  const int64_t ranges[7] = {dx, dw, db, dy, xhat, rstd, w};
  const int64_t sizes[7] = {rows * cols, cols, cols, rows * cols, rows * cols, rows, cols};
  if (!apart(env, ranges, sizes, 7, 3, "native layer norm: dx, dw or db overlaps another argument")) return NULL;
  double *sums = calloc((size_t)cols * 2, sizeof(double));
  if (sums == NULL) {
    nativeFail(env, "native layer norm: out of memory for the column sums");
    return NULL;
  }
  layerNormGradRows(heap + dy / 4, heap + xhat / 4, heap + rstd / 4, heap + w / 4, heap + dx / 4, sums, sums + cols,
                    rows, cols);
  float *dwOut = heap + dw / 4;
  float *dbOut = heap + db / 4;
  for (int64_t j = 0; j < cols; j++) {
    dwOut[j] = (float)sums[j];
    dbOut[j] = (float)sums[cols + j];
  }
  free(sums);
  return NULL;
}

napi_status registerLayerNorm(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"layerNorm", NULL, layerNorm, NULL, NULL, NULL, napi_default, NULL},
      {"layerNormGrad", NULL, layerNormGrad, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
