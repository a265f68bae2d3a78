// Dropout masks from seedrandom's alea generator (the kit's Generator, src/utils/random.ts), drawn in C and
// written straight into a float32 tensor in the wasm heap: the same doubles, so the same masks bit for bit as
// JS drawing `gen.random() < keep ? scale : 0` one value at a time (4.5M draws per MiniLM training step).
#include <math.h>
#include <stdint.h>
#include <node_api.h>
#include "args.h"

// aleaMask(heap, outByte, n, keep, scale, state): out[i] = (draw i) < keep ? float(scale) : 0 for n draws,
// state = Float64Array [c, s0, s1, s2] (seedrandom's alea state), advanced in place past the n draws.
static napi_value aleaMask(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!getArgs(env, info, 6, argv, "native alea: aleaMask takes 6 arguments (heap, outByte, n, keep, scale, state)")) {
    return NULL;
  }
  float *heap;
  size_t floats;
  int64_t outByte, n;
  double keep, scale;
  if (!getHeap(env, argv[0], &heap, &floats) || !getInt(env, argv[1], &outByte) || !getInt(env, argv[2], &n) ||
      !getNum(env, argv[3], &keep) || !getNum(env, argv[4], &scale)) {
    return NULL;
  }
  napi_typedarray_type type;
  size_t length, offset;
  void *ptr;
  napi_value ab;
  if (napi_get_typedarray_info(env, argv[5], &type, &length, &ptr, &ab, &offset) != napi_ok || type != napi_float64_array ||
      length != 4) {
    nativeFail(env, "native alea: the state must be a Float64Array [c, s0, s1, s2]");
    return NULL;
  }
  if (!insideFlat(env, outByte, n, floats, "native alea: the mask lies outside the heap (or a negative size or unaligned offset)")) {
    return NULL;
  }
  double *state = (double *)ptr;
  // alea's doubles are integers in disguise: every s is a multiple of 2^-32 in [0, 1) (mash returns one, and
  // the step keeps them so), c an integer in [0, 2091639). Then t = 2091639 s0 + c 2^-32 is (a x + c) / 2^32
  // with a x + c < 2^53, exact in a double, and `c = t | 0; s2 = t - c` is its quotient and remainder by 2^32:
  // the lag-3 multiply-with-carry x' = (a x + c) mod 2^32, c' = (a x + c) >> 32 on integers, the same numbers
  // bit for bit without the double <-> int conversions that chain each draw to the last (~1.2 ns a draw here
  // instead of 6-10).
  const double two32 = 4294967296.0;
  double xs[3] = {state[1] * two32, state[2] * two32, state[3] * two32};
  double c = state[0];
  for (int i = 0; i < 3; i++) {
    if (!(xs[i] >= 0 && xs[i] < two32 && xs[i] == (double)(uint64_t)xs[i])) {
      nativeFail(env, "native alea: the state is not an alea state (s0, s1, s2 must be multiples of 2^-32 in [0, 1))");
      return NULL;
    }
  }
  if (!(c >= 0 && c < 2091639 && c == (double)(uint64_t)c)) {
    nativeFail(env, "native alea: the state is not an alea state (c must be an integer in [0, 2091639))");
    return NULL;
  }
  if (!(keep > 0 && keep <= 1)) {
    nativeFail(env, "native alea: keep must be in (0, 1]");
    return NULL;
  }
  uint64_t x0 = (uint64_t)xs[0], x1 = (uint64_t)xs[1], x2 = (uint64_t)xs[2], carry = (uint64_t)c;
  // s2 < keep for s2 = x / 2^32 is x < keep 2^32 (exact: a power-of-two scaling), i.e. x < ceil(keep 2^32).
  const uint64_t below = (uint64_t)ceil(keep * two32);
  const float value = (float)scale;
  float *out = heap + outByte / 4;
  for (int64_t i = 0; i < n; i++) {
    uint64_t t = 2091639u * x0 + carry;
    x0 = x1;
    x1 = x2;
    carry = t >> 32;
    x2 = t & 0xffffffffu;
    out[i] = x2 < below ? value : 0.0f;
  }
  state[0] = (double)carry;
  state[1] = (double)x0 / two32;
  state[2] = (double)x1 / two32;
  state[3] = (double)x2 / two32;
  return NULL;
}

napi_status registerAlea(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"aleaMask", NULL, aleaMask, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
