// Softmax over the last axis and its gradient for the kit's wasm backend (src/backend/wasm/native-elementwise.ts),
// on tensors where they lie in the wasm heap (byte offsets, no copies): BERT's attention probabilities, in place
// of TF.js's Softmax kernel forward and the ~5 kernels of its gradient.
//
// As torch: per row y = exp(x - max) / sum exp(x - max); backward dx = y * (dy - sum(dy * y)). exp is the
// vectorizable float one GELU uses (exp-non-positive.h; x - max <= 0); the sums accumulate in double, in 8
// interleaved lanes added pairwise (a fixed order: vectorized, and the same at any vector width). Masked
// positions (x = float32's lowest + score) give exp = 0 exactly, as in torch.
#include <stdint.h>
#include <node_api.h>
#include "args.h"
#include "vector-clones.h"
#include "exp-non-positive.h"

#define LANES 8

static inline double addLanes(const double *s) {
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}


VECTOR_CLONES static void softmaxRows(const float *x, float *y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    float *yr = y + r * cols;
    float lanes[LANES];
    for (int k = 0; k < LANES; k++) lanes[k] = xr[0];
    int64_t j = 0;
    for (; j + LANES <= cols; j += LANES) {
      for (int k = 0; k < LANES; k++) lanes[k] = xr[j + k] > lanes[k] ? xr[j + k] : lanes[k];
    }
    float max = lanes[0];
    for (int k = 1; k < LANES; k++) max = lanes[k] > max ? lanes[k] : max;
    for (; j < cols; j++) max = xr[j] > max ? xr[j] : max;
    for (j = 0; j < cols; j++) yr[j] = expNonPositive(xr[j] - max);
    double sum[LANES] = {0};
    j = 0;
    for (; j + LANES <= cols; j += LANES) {
      for (int k = 0; k < LANES; k++) sum[k] += yr[j + k];
    }
    for (; j < cols; j++) sum[j % LANES] += yr[j];
    double inv = 1.0 / addLanes(sum);
    for (j = 0; j < cols; j++) yr[j] = (float)(yr[j] * inv);
  }
}

VECTOR_CLONES static void softmaxGradRows(const float *dy, const float *y, float *dx, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    const float *gr = dy + r * cols;
    const float *yr = y + r * cols;
    float *dr = dx + r * cols;
    double dot[LANES] = {0};
    int64_t j = 0;
    for (; j + LANES <= cols; j += LANES) {
      for (int k = 0; k < LANES; k++) dot[k] += (double)gr[j + k] * yr[j + k];
    }
    for (; j < cols; j++) dot[j % LANES] += (double)gr[j] * yr[j];
    double s = addLanes(dot);
    for (j = 0; j < cols; j++) dr[j] = (float)(yr[j] * ((double)gr[j] - s));
  }
}

static const char *const kRows = "native softmax: expected 0 <= rows < 2^31 and 0 < cols < 2^31";

// softmax(heap, xByte, yByte, rows, cols): x, y [rows, cols], apart.
static napi_value softmax(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!getArgs(env, info, 5, argv, "native softmax: softmax takes 5 arguments (heap, xByte, yByte, rows, cols)")) return NULL;
  float *heap;
  size_t floats;
  int64_t xo, yo, rows, cols;
  if (!getHeap(env, argv[0], &heap, &floats) || !getInt(env, argv[1], &xo) || !getInt(env, argv[2], &yo) ||
      !getRowsCols(env, argv[3], argv[4], &rows, &cols, kRows)) {
    return NULL;
  }
  int64_t n = rows * cols;
  if (!insideFlat(env, xo, n, floats, "native softmax: x lies outside the heap (or an unaligned offset)") ||
      !insideFlat(env, yo, n, floats, "native softmax: y lies outside the heap (or an unaligned offset)")) {
    return NULL;
  }
  if (overlapsFlat(xo, n, yo, n)) {
    nativeFail(env, "native softmax: x and y overlap");
    return NULL;
  }
  softmaxRows(heap + xo / 4, heap + yo / 4, rows, cols);
  return NULL;
}

// softmaxGrad(heap, dyByte, yByte, dxByte, rows, cols): dy, y, dx [rows, cols]; dx apart from dy and y.
static napi_value softmaxGrad(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!getArgs(env, info, 6, argv, "native softmax: softmaxGrad takes 6 arguments (heap, dyByte, yByte, dxByte, rows, cols)")) {
    return NULL;
  }
  float *heap;
  size_t floats;
  int64_t dyo, yo, dxo, rows, cols;
  if (!getHeap(env, argv[0], &heap, &floats) || !getInt(env, argv[1], &dyo) || !getInt(env, argv[2], &yo) ||
      !getInt(env, argv[3], &dxo) || !getRowsCols(env, argv[4], argv[5], &rows, &cols, kRows)) {
    return NULL;
  }
  int64_t n = rows * cols;
  if (!insideFlat(env, dyo, n, floats, "native softmax: dy lies outside the heap (or an unaligned offset)") ||
      !insideFlat(env, yo, n, floats, "native softmax: y lies outside the heap (or an unaligned offset)") ||
      !insideFlat(env, dxo, n, floats, "native softmax: dx lies outside the heap (or an unaligned offset)")) {
    return NULL;
  }
  if (overlapsFlat(dxo, n, dyo, n) || overlapsFlat(dxo, n, yo, n)) {
    nativeFail(env, "native softmax: dx overlaps dy or y");
    return NULL;
  }
  softmaxGradRows(heap + dyo / 4, heap + yo / 4, heap + dxo / 4, rows, cols);
  return NULL;
}

napi_status registerSoftmax(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"softmax", NULL, softmax, NULL, NULL, NULL, napi_default, NULL},
      {"softmaxGrad", NULL, softmaxGrad, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
