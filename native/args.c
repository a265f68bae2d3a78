// See args.h.
#include "args.h"

int nativeFail(napi_env env, const char *msg) {
  napi_throw_range_error(env, NULL, msg);
  return 0;
}

int getFloat32Array(napi_env env, napi_value v, float **data, size_t *floats, const char *msg) {
  napi_typedarray_type type;
  size_t length, offset;
  void *ptr;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, &ab, &offset) != napi_ok || type != napi_float32_array) {
    return nativeFail(env, msg);
  }
  *data = (float *)ptr;
  *floats = length;
  return 1;
}

// The heap: a Float32Array over an ArrayBuffer or a SharedArrayBuffer (the threaded wasm build's memory).
int getHeap(napi_env env, napi_value v, float **data, size_t *floats) {
  return getFloat32Array(env, v, data, floats, "native addon: the heap argument must be a Float32Array");
}

int getInt(napi_env env, napi_value v, int64_t *out) {
  if (napi_get_value_int64(env, v, out) != napi_ok) return nativeFail(env, "native addon: expected an integer argument");
  return 1;
}

int getNum(napi_env env, napi_value v, double *out) {
  if (napi_get_value_double(env, v, out) != napi_ok) return nativeFail(env, "native addon: expected a number argument");
  return 1;
}

int getBool(napi_env env, napi_value v, bool *out) {
  if (napi_get_value_bool(env, v, out) != napi_ok) return nativeFail(env, "native addon: expected a boolean argument");
  return 1;
}

// A matrix stored as `rows` rows of `ld` floats (only `cols` used) at float index `start`, `batch` times every
// `stride` floats, must lie inside the heap: a wrong offset would otherwise write anywhere in the process.
int inside(napi_env env, int64_t start, int64_t rows, int64_t cols, int64_t ld, int64_t stride, int64_t batch,
                  size_t floats, const char *name) {
  if (rows == 0 || cols == 0 || batch == 0) return 1;
  if (start < 0 || ld < cols || stride < 0) return nativeFail(env, name);
  int64_t last = start + (batch - 1) * stride + (rows - 1) * ld + cols;
  if (last > (int64_t)floats) return nativeFail(env, name);
  return 1;
}

// The call's arguments into argv, exactly `want` of them; else a TypeError naming the function.
int getArgs(napi_env env, napi_callback_info info, size_t want, napi_value *argv, const char *usage) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    napi_throw_error(env, NULL, "native addon: N-API call failed");
    return 0;
  }
  if (argc != want) {
    napi_throw_type_error(env, NULL, usage);
    return 0;
  }
  return 1;
}

int insideFlat(napi_env env, int64_t byte, int64_t n, size_t floats, const char *name) {
  if (n < 0 || byte % 4 != 0) return nativeFail(env, name);
  return inside(env, byte / 4, 1, n, n, 0, 1, floats, name);
}

bool overlapsFlat(int64_t aByte, int64_t na, int64_t bByte, int64_t nb) {
  return na > 0 && nb > 0 && aByte / 4 < bByte / 4 + nb && bByte / 4 < aByte / 4 + na;
}

int getRowsCols(napi_env env, napi_value vRows, napi_value vCols, int64_t *rows, int64_t *cols, const char *msg) {
  if (!getInt(env, vRows, rows) || !getInt(env, vCols, cols)) return 0;
  if (*rows < 0 || *cols <= 0 || *rows > INT32_MAX || *cols > INT32_MAX) return nativeFail(env, msg);
  return 1;
}
