// The sum over rows of a [rows, cols] tensor (a dense layer's bias gradient: the sum of dy over every token),
// for the kit's wasm backend (src/backend/wasm/native-elementwise.ts). TF.js's wasm Sum over axis 0 transposes
// its input first (a full copy), then sums each column; here one pass reads the rows in order and adds them
// into one double per column (one float rounding per result, and no dependence on the vector width: each
// column's additions happen in row order whatever the lanes).
#include <stdint.h>
#include <stdlib.h>
#include <node_api.h>
#include "args.h"
#include "vector-clones.h"


VECTOR_CLONES static void addRows(const float *x, double *sums, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    for (int64_t j = 0; j < cols; j++) sums[j] += xr[j];
  }
}

// sumRows(heap, xByte, outByte, rows, cols): out[j] = sum over r of x[r, j]; out apart from x.
static napi_value sumRows(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!getArgs(env, info, 5, argv, "native column sum: sumRows takes 5 arguments (heap, xByte, outByte, rows, cols)")) return NULL;
  float *heap;
  size_t floats;
  int64_t x, out, rows, cols;
  if (!getHeap(env, argv[0], &heap, &floats) || !getInt(env, argv[1], &x) || !getInt(env, argv[2], &out) ||
      !getRowsCols(env, argv[3], argv[4], &rows, &cols, "native column sum: expected 0 <= rows < 2^31 and 0 < cols < 2^31")) {
    return NULL;
  }
  if (!insideFlat(env, x, rows * cols, floats, "native column sum: x lies outside the heap (or an unaligned offset)") ||
      !insideFlat(env, out, cols, floats, "native column sum: out lies outside the heap (or an unaligned offset)")) {
    return NULL;
  }
  if (overlapsFlat(out, cols, x, rows * cols)) {
    nativeFail(env, "native column sum: out overlaps x");
    return NULL;
  }
  double *sums = calloc((size_t)cols, sizeof(double));
  if (sums == NULL) {
    nativeFail(env, "native column sum: out of memory for the column sums");
    return NULL;
  }
  addRows(heap + x / 4, sums, rows, cols);
  float *o = heap + out / 4;
  for (int64_t j = 0; j < cols; j++) o[j] = (float)sums[j];
  free(sums);
  return NULL;
}

napi_status registerColumnSum(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {{"sumRows", NULL, sumRows, NULL, NULL, NULL, napi_default, NULL}};
  return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
