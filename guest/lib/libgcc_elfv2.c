/* Replacements for the libgcc routines gcc calls from integer-only guest code,
 * used only for -mabi=elfv2 builds.
 *
 * Why: Debian's cross libgcc.a (gcc-powerpc64-linux-gnu 12) is built for
 * ELFv1 only; ld refuses to link its members into an ELFv2 program ("ABI
 * version 1 is not compatible with ABI version 2 output"). An ELFv2 guest that
 * divides __int128 values, shifts them by a variable amount at -Os, or uses
 * popcount/parity/clrsb on a CPU without popcntb would not link. These
 * definitions, compiled with the caller's options, are linked before -lgcc, so
 * ld never pulls an ELFv1 member. ELFv1 builds keep using the real libgcc.
 *
 * Everything here uses 64-bit operations only (no __int128 division or
 * variable __int128 shifts, which would call back into these very routines).
 * Division by zero is undefined behaviour, as in C. */
#if defined(_CALL_ELF) && _CALL_ELF == 2

#include <stdint.h>

typedef unsigned __int128 u128;
typedef __int128 s128;

#define QG_RT __attribute__((optimize("no-tree-loop-distribute-patterns")))

static inline uint64_t hi64(u128 v) { return (uint64_t)(v >> 64); }
static inline uint64_t lo64(u128 v) { return (uint64_t)v; }
static inline u128 mk128(uint64_t hi, uint64_t lo) { return (u128)hi << 64 | lo; }

/* Logical and arithmetic shifts of a (hi, lo) pair, 0 <= s < 128. */
static u128 shl128(u128 v, unsigned s) {
  uint64_t hi = hi64(v), lo = lo64(v);
  if (s == 0) return v;
  if (s >= 64) return mk128(lo << (s - 64), 0);
  return mk128(hi << s | lo >> (64 - s), lo << s);
}
static u128 lshr128(u128 v, unsigned s) {
  uint64_t hi = hi64(v), lo = lo64(v);
  if (s == 0) return v;
  if (s >= 64) return mk128(0, hi >> (s - 64));
  return mk128(hi >> s, lo >> s | hi << (64 - s));
}
static u128 ashr128(u128 v, unsigned s) {
  int64_t hi = (int64_t)hi64(v);
  uint64_t lo = lo64(v);
  if (s == 0) return v;
  if (s >= 64) return mk128((uint64_t)(hi >> 63), (uint64_t)(hi >> (s - 64)));
  return mk128((uint64_t)(hi >> s), lo >> s | (uint64_t)hi << (64 - s));
}

/* (u1:u0) / v with u1 < v: the 64-bit quotient and remainder (Hacker's
 * Delight, divlu: 32-bit digits, normalised divisor, two correction loops). */
static uint64_t divlu(uint64_t u1, uint64_t u0, uint64_t v, uint64_t *r) {
  const uint64_t b = 1ull << 32;
  unsigned s = (unsigned)__builtin_clzll(v);
  v <<= s;
  uint64_t vn1 = v >> 32, vn0 = v & 0xffffffffu;
  uint64_t un32 = s ? (u1 << s) | (u0 >> (64 - s)) : u1;
  uint64_t un10 = u0 << s;
  uint64_t un1 = un10 >> 32, un0 = un10 & 0xffffffffu;
  uint64_t q1 = un32 / vn1, rhat = un32 - q1 * vn1;
  while (q1 >= b || q1 * vn0 > b * rhat + un1) {
    q1--;
    rhat += vn1;
    if (rhat >= b) break;
  }
  uint64_t un21 = un32 * b + un1 - q1 * v;
  uint64_t q0 = un21 / vn1;
  rhat = un21 - q0 * vn1;
  while (q0 >= b || q0 * vn0 > b * rhat + un0) {
    q0--;
    rhat += vn1;
    if (rhat >= b) break;
  }
  if (r) *r = (un21 * b + un0 - q0 * v) >> s;
  return q1 * b + q0;
}

static u128 udivmod128(u128 n, u128 d, u128 *rem) {
  uint64_t n1 = hi64(n), n0 = lo64(n), d1 = hi64(d), d0 = lo64(d);
  if (d1 == 0) {
    uint64_t q1 = 0, r;
    if (n1 >= d0) {
      q1 = n1 / d0;
      n1 -= q1 * d0;
    }
    uint64_t q0 = divlu(n1, n0, d0, &r);
    if (rem) *rem = r;
    return mk128(q1, q0);
  }
  if (n < d) {
    if (rem) *rem = n;
    return 0;
  }
  /* d >= 2^64: the quotient fits in 64 bits. Estimate it from the top 64
   * bits of the normalised divisor, then correct by at most one. */
  unsigned s = (unsigned)__builtin_clzll(d1);
  uint64_t v1 = hi64(shl128(d, s));
  u128 n_half = lshr128(n, 1);
  uint64_t q1 = divlu(hi64(n_half), lo64(n_half), v1, 0);
  uint64_t q0 = hi64(shl128(mk128(0, q1), s)) << 1 | lo64(shl128(mk128(0, q1), s)) >> 63; /* (q1 << s) >> 63 */
  if (q0) q0--;
  u128 r = n - (u128)q0 * d;
  if (r >= d) {
    q0++;
    r -= d;
  }
  if (rem) *rem = r;
  return q0;
}

QG_RT u128 __udivti3(u128 a, u128 b) { return udivmod128(a, b, 0); }

QG_RT u128 __umodti3(u128 a, u128 b) {
  u128 r;
  udivmod128(a, b, &r);
  return r;
}

QG_RT s128 __divti3(s128 a, s128 b) {
  int neg = (a < 0) ^ (b < 0);
  u128 ua = a < 0 ? -(u128)a : (u128)a, ub = b < 0 ? -(u128)b : (u128)b;
  u128 q = udivmod128(ua, ub, 0);
  return (s128)(neg ? -q : q);
}

QG_RT s128 __modti3(s128 a, s128 b) { /* the remainder has the sign of the dividend */
  u128 ua = a < 0 ? -(u128)a : (u128)a, ub = b < 0 ? -(u128)b : (u128)b, r;
  udivmod128(ua, ub, &r);
  return (s128)(a < 0 ? -r : r);
}

QG_RT u128 __ashlti3(u128 a, int b) { return shl128(a, (unsigned)b & 127); }
QG_RT u128 __lshrti3(u128 a, int b) { return lshr128(a, (unsigned)b & 127); }
QG_RT s128 __ashrti3(s128 a, int b) { return (s128)ashr128((u128)a, (unsigned)b & 127); }

static int popcount64(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return (int)((x * 0x0101010101010101ull) >> 56);
}
QG_RT int __popcountdi2(uint64_t x) { return popcount64(x); }
QG_RT int __popcountsi2(uint32_t x) { return popcount64(x); }
QG_RT int __paritydi2(uint64_t x) { return popcount64(x) & 1; }
QG_RT int __paritysi2(uint32_t x) { return popcount64(x) & 1; }
QG_RT int __clrsbdi2(int64_t x) {
  uint64_t y = (uint64_t)(x ^ (x >> 63));
  return y ? __builtin_clzll(y) - 1 : 63;
}
QG_RT int __clrsbsi2(int32_t x) {
  uint32_t y = (uint32_t)(x ^ (x >> 31));
  return y ? __builtin_clz(y) - 1 : 31;
}

#else
typedef int qg_libgcc_elfv2_unused; /* ELFv1: the real libgcc is used */
#endif
