// One AVX2 copy of a loop beside the baseline one, chosen at load time by the CPU (GCC's target_clones, on
// x86-64 Linux): twice the lanes, the same results, since the build forbids fused multiply-adds
// (-ffp-contract=off) and every loop adds in a fixed order. KIT_BASELINE_ONLY builds the baseline copy alone:
// test/backend/native-clones.test.ts compares the two builds bit for bit.
#ifndef KIT_NATIVE_VECTOR_CLONES_H
#define KIT_NATIVE_VECTOR_CLONES_H
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__) && !defined(KIT_BASELINE_ONLY)
#define VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#define KIT_HAS_VECTOR_CLONES 1
#else
#define VECTOR_CLONES
#define KIT_HAS_VECTOR_CLONES 0
#endif
#endif
