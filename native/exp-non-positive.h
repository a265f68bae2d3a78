// exp(a) for a <= 0 in float, a Cody-Waite reduction with Cephes' expf polynomial (about 1 ulp), written without
// branches so that loops calling it vectorize: used by GELU (native/elementwise.c) and softmax (native/softmax.c).
// libm's expf is a call the compiler cannot vectorize.
#ifndef KIT_NATIVE_EXP_NON_POSITIVE_H
#define KIT_NATIVE_EXP_NON_POSITIVE_H
#include <stdint.h>
#include <string.h>

// exp(a) for a <= 0; 0 below -87.3 (where expf would return a subnormal, below 1.2e-38: far below float32's
// resolution of any tensor GELU or softmax writes it into).
static inline float expNonPositive(float a) {
  const float lowest = -87.3f;
  float clamped = a < lowest ? lowest : a;
  // k = round(a / ln 2) by the 1.5 * 2^23 shifter, then r = a - k ln 2 in two steps (Cody-Waite).
  float j = clamped * 1.44269504088896341f + 12582912.0f;
  float k = j - 12582912.0f;
  float r = clamped - k * 0.693359375f;
  r = r - k * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  int32_t bits = ((int32_t)k + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  float e = p * scale;
  return a < lowest ? 0.0f : e;
}
#endif
