// Shared memory between the processes of one data-parallel group on one host, and the two-contribution sum
// their allReduce does (src/backend/shared-memory.ts, used by src/accelerate/process-group.ts). Over loopback
// TCP a BERT-Mini gradient half costs each rank a writev of 6.7 MB through the kernel, a read into its
// socket buffer and a copy out of it; through a mapped segment it is one copy in and one copy out
// (bench/NOTES.md, "The exchange through shared memory").
//
// A segment is a POSIX shared memory object (shm_open) mapped read-write; JavaScript gets it as an external
// ArrayBuffer, unmapped when that buffer is collected. The creator unlinks the name once the peer has opened
// it, so nothing is left in /dev/shm after a run, nor after a crash past that point.
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <node_api.h>
#include "args.h"
#include "vector-clones.h"

static void unmap(napi_env env, void *data, void *hint) {
  (void)env;
  munmap(data, (size_t)(uintptr_t)hint);
}

static int throwErrno(napi_env env, const char *what, const char *name) {
  char msg[256];
  snprintf(msg, sizeof msg, "shared memory: %s %s failed: %s", what, name, strerror(errno));
  napi_throw_error(env, NULL, msg);
  return 0;
}

// Map `bytes` of the open object `fd` and hand them to JavaScript; closes fd either way.
static napi_value mapToBuffer(napi_env env, int fd, size_t bytes, const char *name) {
  void *at = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  int saved = errno;
  close(fd);
  if (at == MAP_FAILED) {
    errno = saved;
    throwErrno(env, "mmap of", name);
    return NULL;
  }
  napi_value buffer;
  if (napi_create_external_arraybuffer(env, at, bytes, unmap, (void *)(uintptr_t)bytes, &buffer) != napi_ok) {
    munmap(at, bytes);
    napi_throw_error(env, NULL, "shared memory: this Node does not allow external ArrayBuffers");
    return NULL;
  }
  return buffer;
}

static int getBytes(napi_env env, napi_value v, size_t *bytes) {
  int64_t n;
  if (!getInt(env, v, &n)) return 0;
  if (n <= 0 || n > ((int64_t)1 << 40)) return nativeFail(env, "shared memory: expected a size between 1 byte and 1 TiB");
  *bytes = (size_t)n;
  return 1;
}

// The name argument: "/kit-" followed by letters, digits and dashes, as shmCreate makes them (no other object
// of the user's may be opened or unlinked through this).
static int getName(napi_env env, napi_value v, char *name, size_t size) {
  size_t length;
  if (napi_get_value_string_utf8(env, v, name, size, &length) != napi_ok || length >= size - 1) {
    return nativeFail(env, "shared memory: expected a segment name made by shmCreate");
  }
  if (strncmp(name, "/kit-", 5) != 0) return nativeFail(env, "shared memory: expected a segment name made by shmCreate");
  for (size_t i = 5; i < length; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return nativeFail(env, "shared memory: expected a segment name made by shmCreate");
    }
  }
  return 1;
}

// shmCreate(bytes) -> { name, buffer }: a new zero-filled segment, readable and writable by this user only.
static napi_value shmCreate(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t bytes;
  if (!getArgs(env, info, 1, argv, "shared memory: shmCreate takes 1 argument (bytes)") || !getBytes(env, argv[0], &bytes)) return NULL;
  static unsigned counter = 0;
  char name[64];
  int fd = -1;
  for (int attempt = 0; attempt < 8 && fd < 0; attempt++) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(name, sizeof name, "/kit-%ld-%u-%lx", (long)getpid(), counter++, (unsigned long)now.tv_nsec);
    fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    throwErrno(env, "shm_open of", name);
    return NULL;
  }
  // The pages are reserved now, on Linux: a /dev/shm too small for them (a container's 64 MB) is an error here,
  // which the exchange answers by keeping its socket, rather than a SIGBUS at the first write past the space.
#ifdef __linux__
  int failed = posix_fallocate(fd, 0, (off_t)bytes);
  if (failed != 0) errno = failed;
  const char *step = "posix_fallocate of";
#else
  int failed = ftruncate(fd, (off_t)bytes) != 0;
  const char *step = "ftruncate of";
#endif
  if (failed) {
    int saved = errno;
    close(fd);
    shm_unlink(name);
    errno = saved;
    throwErrno(env, step, name);
    return NULL;
  }
  napi_value buffer = mapToBuffer(env, fd, bytes, name);
  if (buffer == NULL) {
    shm_unlink(name);
    return NULL;
  }
  napi_value out, jsName;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &jsName));
  CHECK(napi_set_named_property(env, out, "name", jsName));
  CHECK(napi_set_named_property(env, out, "buffer", buffer));
  return out;
}

// shmOpen(name, bytes) -> ArrayBuffer: another process's segment, which must hold at least `bytes`.
static napi_value shmOpen(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char name[64];
  size_t bytes;
  if (!getArgs(env, info, 2, argv, "shared memory: shmOpen takes 2 arguments (name, bytes)") || !getName(env, argv[0], name, sizeof name) ||
      !getBytes(env, argv[1], &bytes)) {
    return NULL;
  }
  int fd = shm_open(name, O_RDWR, 0);
  if (fd < 0) {
    throwErrno(env, "shm_open of", name);
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || (size_t)st.st_size < bytes) {
    close(fd);
    char msg[160];
    snprintf(msg, sizeof msg, "shared memory: segment %s is smaller than the %zu bytes expected", name, bytes);
    nativeFail(env, msg);
    return NULL;
  }
  return mapToBuffer(env, fd, bytes, name);
}

// shmUnlink(name): remove the name (mappings stay valid). A name already gone is not an error.
static napi_value shmUnlink(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char name[64];
  if (!getArgs(env, info, 1, argv, "shared memory: shmUnlink takes 1 argument (name)") || !getName(env, argv[0], name, sizeof name)) return NULL;
  if (shm_unlink(name) != 0 && errno != ENOENT) throwErrno(env, "shm_unlink of", name);
  return NULL;
}

// The float64 sum of two float32s, scaled (0.5 for a two-rank mean: exact) and rounded once: what JavaScript's
// (a + b) * scale stored into a Float32Array gives, element for element.
VECTOR_CLONES static void sumPair(const float *a, const float *b, double scale, float *out, float *copy, int64_t n) {
  // ivdep: out may be a or b, read and written at the same index only, which vector lanes may do.
  if (copy == NULL) {
#pragma GCC ivdep
    for (int64_t i = 0; i < n; i++) out[i] = (float)(((double)a[i] + (double)b[i]) * scale);
  } else {
#pragma GCC ivdep
    for (int64_t i = 0; i < n; i++) {
      float s = (float)(((double)a[i] + (double)b[i]) * scale);
      out[i] = s;
      copy[i] = s;
    }
  }
}

static int overlaps(const float *x, const float *y, size_t n) {
  return n > 0 && x < y + n && y < x + n;
}

// sumPair(a, b, scale, out, copy|null): out[i] = copy[i] = round((a[i] + b[i]) * scale), all of one length.
// out may be a or b itself (each element is read before it is written), but no other overlap.
static napi_value sumPairJs(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!getArgs(env, info, 5, argv, "shared memory: sumPair takes 5 arguments (a, b, scale, out, copy or null)")) return NULL;
  float *a, *b, *out, *copy = NULL;
  size_t na, nb, nout, ncopy = 0;
  double scale;
  const char *notF32 = "shared memory: sumPair expects Float32Arrays (copy may be null)";
  if (!getFloat32Array(env, argv[0], &a, &na, notF32) || !getFloat32Array(env, argv[1], &b, &nb, notF32) || !getNum(env, argv[2], &scale) ||
      !getFloat32Array(env, argv[3], &out, &nout, notF32)) {
    return NULL;
  }
  napi_valuetype copyType;
  CHECK(napi_typeof(env, argv[4], &copyType));
  if (copyType != napi_null && !getFloat32Array(env, argv[4], &copy, &ncopy, notF32)) return NULL;
  if (nb != na || nout != na || (copy != NULL && ncopy != na)) {
    nativeFail(env, "shared memory: sumPair's arrays must all have the same length");
    return NULL;
  }
  if ((out != a && overlaps(out, a, na)) || (out != b && overlaps(out, b, na)) ||
      (copy != NULL && (overlaps(copy, a, na) || overlaps(copy, b, na) || overlaps(copy, out, na)))) {
    nativeFail(env, "shared memory: sumPair's out may be a or b, and must not otherwise overlap them or copy");
    return NULL;
  }
  sumPair(a, b, scale, out, copy, (int64_t)na);
  return NULL;
}

napi_status registerSharedMemory(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"shmCreate", NULL, shmCreate, NULL, NULL, NULL, napi_default, NULL},
      {"shmOpen", NULL, shmOpen, NULL, NULL, NULL, napi_default, NULL},
      {"shmUnlink", NULL, shmUnlink, NULL, NULL, NULL, napi_default, NULL},
      {"sumPair", NULL, sumPairJs, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
