// Argument checks shared by the addon's source files (gemm.c, elementwise.c, alea.c): every function takes the
// wasm heap as a Float32Array and byte offsets into it, and must refuse anything that would read or write
// outside it. Each returns 1 on success, else throws a JS error and returns 0.
#ifndef KIT_NATIVE_ARGS_H
#define KIT_NATIVE_ARGS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <node_api.h>

#define CHECK(call)                                                     \
  do {                                                                  \
    if ((call) != napi_ok) {                                            \
      napi_throw_error(env, NULL, "native addon: N-API call failed");   \
      return NULL;                                                      \
    }                                                                   \
  } while (0)

int nativeFail(napi_env env, const char *msg);
// A Float32Array's data and length (over any buffer); else throws `msg`.
int getFloat32Array(napi_env env, napi_value v, float **data, size_t *floats, const char *msg);
int getHeap(napi_env env, napi_value v, float **data, size_t *floats);
int getInt(napi_env env, napi_value v, int64_t *out);
int getNum(napi_env env, napi_value v, double *out);
int getBool(napi_env env, napi_value v, bool *out);
int getArgs(napi_env env, napi_callback_info info, size_t want, napi_value *argv, const char *usage);
int inside(napi_env env, int64_t start, int64_t rows, int64_t cols, int64_t ld, int64_t stride, int64_t batch,
           size_t floats, const char *name);
// `n` floats at byte offset `byte` (a multiple of 4) inside the heap.
int insideFlat(napi_env env, int64_t byte, int64_t n, size_t floats, const char *name);
// Whether the float ranges of na and nb floats at byte offsets aByte and bByte share an element (an empty range
// shares none).
bool overlapsFlat(int64_t aByte, int64_t na, int64_t bByte, int64_t nb);
// The rows and cols of a [rows, cols] argument: 0 <= rows < 2^31 and 0 < cols < 2^31, else throws `msg`.
int getRowsCols(napi_env env, napi_value vRows, napi_value vCols, int64_t *rows, int64_t *cols, const char *msg);

// The other files' exports, added to the module by gemm.c's init.
napi_status registerElementwise(napi_env env, napi_value exports);
napi_status registerAlea(napi_env env, napi_value exports);
napi_status registerLayerNorm(napi_env env, napi_value exports);
napi_status registerSoftmax(napi_env env, napi_value exports);
napi_status registerColumnSum(napi_env env, napi_value exports);
napi_status registerSharedMemory(napi_env env, napi_value exports);
#endif
