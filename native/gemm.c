// The system BLAS's sgemm for the kit's wasm backend (src/backend/wasm/native-gemm.ts), and the addon's entry
// point: init also adds elementwise.c's GELU and alea.c's dropout masks. Every product runs on
// tensors where they already are, in the wasm heap: JS hands a Float32Array view of the heap (plain or shared
// memory) and byte offsets, so nothing is copied. Row-major, as TF.js stores tensors. Only node_api.h: no C++
// runtime, no node-gyp. Built by scripts/build-native.mjs.
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <node_api.h>
#include "args.h"

#ifdef __APPLE__
#include <Accelerate/Accelerate.h>
static void blasSetThreads(int n) { (void)n; }
static int blasGetThreads(void) { return 0; }
static const char *blasName(void) { return "Accelerate"; }
static const char *blasConfig(void) { return "Accelerate"; }
static const char *blasCore(void) { return "vecLib"; }
#else
#include <cblas.h>
// Declared here too: a cblas.h from another BLAS lacks them, and then the link fails, which is the check we want.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_config(void);
char *openblas_get_corename(void);
static void blasSetThreads(int n) { openblas_set_num_threads(n); }
static int blasGetThreads(void) { return openblas_get_num_threads(); }
static const char *blasName(void) { return "OpenBLAS"; }
static const char *blasConfig(void) { return openblas_get_config(); }
static const char *blasCore(void) { return openblas_get_corename(); }
#endif

// sgemmStridedBatch(heap, transA, transB, m, n, k, alpha, aByte, lda, strideA, bByte, ldb, strideB, beta,
//                   cByte, ldc, strideC, batch): C_i = alpha op(A_i) op(B_i) + beta C_i, strides in floats (0
// broadcasts one matrix over the batch). sgemm is the same with batch 1.
static napi_value sgemmStridedBatch(napi_env env, napi_callback_info info) {
  napi_value argv[18];
  if (!getArgs(env, info, 18, argv, "native gemm: sgemmStridedBatch takes 18 arguments")) return NULL;
  float *heap;
  size_t floats;
  bool ta, tb;
  int64_t m, n, k, ao, lda, sa, bo, ldb, sb, co, ldc, sc, batch;
  double alpha, beta;
  if (!getHeap(env, argv[0], &heap, &floats) || !getBool(env, argv[1], &ta) || !getBool(env, argv[2], &tb) ||
      !getInt(env, argv[3], &m) || !getInt(env, argv[4], &n) || !getInt(env, argv[5], &k) ||
      !getNum(env, argv[6], &alpha) || !getInt(env, argv[7], &ao) || !getInt(env, argv[8], &lda) ||
      !getInt(env, argv[9], &sa) || !getInt(env, argv[10], &bo) || !getInt(env, argv[11], &ldb) ||
      !getInt(env, argv[12], &sb) || !getNum(env, argv[13], &beta) || !getInt(env, argv[14], &co) ||
      !getInt(env, argv[15], &ldc) || !getInt(env, argv[16], &sc) || !getInt(env, argv[17], &batch)) {
    return NULL;
  }
  if (m < 0 || n < 0 || k < 0 || batch < 0 || (ao | bo | co) % 4 != 0 || m > INT32_MAX || n > INT32_MAX ||
      k > INT32_MAX) {
    nativeFail(env, "native gemm: negative size, or a byte offset that is not a multiple of 4");
    return NULL;
  }
  // op(A) is m x k: stored m x k, or k x m when transposed; op(B) is k x n likewise.
  if (!inside(env, ao / 4, ta ? k : m, ta ? m : k, lda, sa, batch, floats, "native gemm: A lies outside the heap") ||
      !inside(env, bo / 4, tb ? n : k, tb ? k : n, ldb, sb, batch, floats, "native gemm: B lies outside the heap") ||
      !inside(env, co / 4, m, n, ldc, sc, batch, floats, "native gemm: C lies outside the heap")) {
    return NULL;
  }
  if (m == 0 || n == 0 || batch == 0) return NULL;
  // BLAS wants every leading dimension >= 1, even for an empty inner dimension.
  if (lda < 1) lda = 1;
  if (ldb < 1) ldb = 1;
  for (int64_t i = 0; i < batch; i++) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k,
                (float)alpha, heap + ao / 4 + i * sa, (int)lda, heap + bo / 4 + i * sb, (int)ldb, (float)beta,
                heap + co / 4 + i * sc, (int)ldc);
  }
  return NULL;
}

// biasActivation(heap, cByte, rows, n, biasByte (-1: none), activation, alpha): C[r][j] = act(C[r][j] + bias[j]),
// activations numbered as tfjs-backend-wasm's FusableActivation (0 linear, 1 relu, 2 relu6, 4 leakyrelu,
// 5 sigmoid, 6 elu; prelu (3) stays with the package).
static napi_value biasActivation(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!getArgs(env, info, 7, argv, "native gemm: biasActivation takes 7 arguments")) return NULL;
  float *heap;
  size_t floats;
  int64_t co, rows, n, bo, act;
  double alpha;
  if (!getHeap(env, argv[0], &heap, &floats) || !getInt(env, argv[1], &co) || !getInt(env, argv[2], &rows) ||
      !getInt(env, argv[3], &n) || !getInt(env, argv[4], &bo) || !getInt(env, argv[5], &act) ||
      !getNum(env, argv[6], &alpha)) {
    return NULL;
  }
  if (rows < 0 || n < 0 || co % 4 != 0 || (bo >= 0 && bo % 4 != 0)) {
    nativeFail(env, "native gemm: biasActivation: negative size, or a byte offset that is not a multiple of 4");
    return NULL;
  }
  if (!inside(env, co / 4, rows, n, n, 0, 1, floats, "native gemm: C lies outside the heap") ||
      (bo >= 0 && !inside(env, bo / 4, 1, n, n, 0, 1, floats, "native gemm: the bias lies outside the heap"))) {
    return NULL;
  }
  float *c = heap + co / 4;
  const float *bias = bo >= 0 ? heap + bo / 4 : NULL;
  const float a = (float)alpha;
  for (int64_t r = 0; r < rows; r++) {
    float *row = c + r * n;
    if (bias) for (int64_t j = 0; j < n; j++) row[j] += bias[j];
    switch (act) {
      case 0: break;
      case 1: for (int64_t j = 0; j < n; j++) row[j] = row[j] > 0.0f ? row[j] : 0.0f; break;
      case 2: for (int64_t j = 0; j < n; j++) row[j] = fminf(fmaxf(row[j], 0.0f), 6.0f); break;
      case 4: for (int64_t j = 0; j < n; j++) row[j] = row[j] < 0.0f ? a * row[j] : row[j]; break;
      case 5: for (int64_t j = 0; j < n; j++) row[j] = 1.0f / (1.0f + expf(-row[j])); break;
      case 6: for (int64_t j = 0; j < n; j++) row[j] = row[j] > 0.0f ? row[j] : expm1f(row[j]); break;
      default:
        nativeFail(env, "native gemm: unknown activation code");
        return NULL;
    }
  }
  return NULL;
}

static napi_value setNumThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t n;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 1 || !getInt(env, argv[0], &n)) return NULL;
  if (n < 1 || n > 1024) {
    nativeFail(env, "native gemm: setNumThreads expects 1 to 1024");
    return NULL;
  }
  blasSetThreads((int)n);
  return NULL;
}

static napi_value getNumThreads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK(napi_create_int32(env, blasGetThreads(), &out));
  return out;
}

static napi_value str(napi_env env, const char *s) {
  napi_value out;
  if (napi_create_string_utf8(env, s ? s : "", NAPI_AUTO_LENGTH, &out) != napi_ok) return NULL;
  return out;
}

// identity() -> { blas, config, corename }
static napi_value identity(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_set_named_property(env, out, "blas", str(env, blasName())));
  CHECK(napi_set_named_property(env, out, "config", str(env, blasConfig())));
  CHECK(napi_set_named_property(env, out, "corename", str(env, blasCore())));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sgemmStridedBatch", NULL, sgemmStridedBatch, NULL, NULL, NULL, napi_default, NULL},
      {"biasActivation", NULL, biasActivation, NULL, NULL, NULL, napi_default, NULL},
      {"setNumThreads", NULL, setNumThreads, NULL, NULL, NULL, napi_default, NULL},
      {"getNumThreads", NULL, getNumThreads, NULL, NULL, NULL, napi_default, NULL},
      {"identity", NULL, identity, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
  if (registerElementwise(env, exports) != napi_ok || registerAlea(env, exports) != napi_ok ||
      registerLayerNorm(env, exports) != napi_ok || registerSoftmax(env, exports) != napi_ok ||
      registerColumnSum(env, exports) != napi_ok || registerSharedMemory(env, exports) != napi_ok) {
    return NULL;
  }
  return exports;
}

NAPI_MODULE(gemm, init)
