/* Exercises: integer division and shift edge cases — signed 32/64-bit
 * division of negatives (truncation toward zero, sign of the remainder;
 * INT_MIN / -1 is avoided as undefined), unsigned division by large divisors
 * (> 2^31, > 2^63) with divwu/divdu, division by constants (gcc's multiply-
 * high magic: mulhw/mulhwu/mulhd/mulhdu) cross-checked against the same
 * division by a volatile divisor, the q*b + r == a identity, shifts of 32- and
 * 64-bit values by 0/1/31/32/33/63 (slw/srw/sraw/sld/srd/srad and immediate
 * forms), arithmetic right shifts of negatives (== floor division by 2^s).
 * Model: reference.py divshift. */
#include "check.h"

static volatile int32_t s32v[] = {-7, 7, -2147483647, 2147483647, -1, 0, 1, 100, -100, -2147483647 - 1,
                                  3, -3, 65536, -65537, 1000000007, -999999937};
static volatile uint32_t u32v[] = {0u, 1u, 2u, 7u, 10u, 0x7fffffffu, 0x80000000u, 0x80000001u, 0xffffffffu,
                                   0xfffffffeu, 12345678u, 0xdeadbeefu};
static volatile int64_t s64v[] = {-7, 7, -9223372036854775807ll, 9223372036854775807ll, -1, 0, 1,
                                  1000000007, -1000000007, -9223372036854775807ll - 1, 0x100000000ll,
                                  -0x100000000ll, 0x7fffffffll, -0x80000000ll, 12345678901234ll};
static volatile uint64_t u64v[] = {0, 1, 3, 10, 0x7fffffffffffffffull, 0x8000000000000000ull,
                                   0x8000000000000001ull, 0xffffffffffffffffull, 0xfffffffffffffffeull,
                                   0x100000000ull, 0xffffffffull, 0xfffffffffull, 0xdeadbeefcafebabeull};
static volatile unsigned shv[] = {0, 1, 31, 32, 33, 63};
static volatile int64_t v7 = 7, v10 = 10, vbig = 1000000007;
#define N(a) (int)(sizeof(a) / sizeof(a[0]))

static uint64_t h = FNV_INIT;
static unsigned bad;
static void mix(uint64_t v) { h = fnv_mix(h, v); }

int main(void) {
  for (int i = 0; i < N(s32v); i++)
    for (int j = 0; j < N(s32v); j++) {
      int32_t a = s32v[i], b = s32v[j];
      if (b == 0 || (a == -2147483647 - 1 && b == -1)) continue;
      int32_t q = a / b, r = a % b;
      bad += (int64_t)q * b + r != a;
      bad += r != 0 && (r < 0) != (a < 0);
      mix((uint64_t)(int64_t)q);
      mix((uint64_t)(int64_t)r);
    }
  expect("div32s", 0x58400db05c97b877, h);
  for (int i = 0; i < N(u32v); i++)
    for (int j = 0; j < N(u32v); j++) {
      uint32_t a = u32v[i], b = u32v[j];
      if (!b) continue;
      uint32_t q = a / b, r = a % b;
      bad += (uint64_t)q * b + r != a || r >= b;
      mix(q);
      mix(r);
    }
  expect("div32u", 0xbdea4c5bf96a9ceb, h);
  for (int i = 0; i < N(s64v); i++)
    for (int j = 0; j < N(s64v); j++) {
      int64_t a = s64v[i], b = s64v[j];
      if (b == 0 || (a == -9223372036854775807ll - 1 && b == -1)) continue;
      int64_t q = a / b, r = a % b;
      bad += (uint64_t)q * (uint64_t)b + (uint64_t)r != (uint64_t)a;
      bad += r != 0 && (r < 0) != (a < 0);
      mix((uint64_t)q);
      mix((uint64_t)r);
    }
  expect("div64s", 0x45f84f527c47680f, h);
  for (int i = 0; i < N(u64v); i++)
    for (int j = 0; j < N(u64v); j++) {
      uint64_t a = u64v[i], b = u64v[j];
      if (!b) continue;
      uint64_t q = a / b, r = a % b;
      bad += q * b + r != a || r >= b;
      mix(q);
      mix(r);
    }
  expect("div64u", 0x9033307f6a495573, h);

  /* constant divisors (multiply-high sequences) against the real divide */
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (int k = 0; k < 400; k++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    int64_t sx = (int64_t)x;
    int32_t sx32 = (int32_t)(x >> 13);
    uint32_t ux32 = (uint32_t)(x >> 7);
    bad += x / 7 != x / (uint64_t)v7;
    bad += sx / 7 != sx / v7 || sx % 7 != sx % v7;
    bad += x / 10 != x / (uint64_t)v10 || x % 10 != x % (uint64_t)v10;
    bad += sx / 1000000007 != sx / vbig;
    bad += sx32 / 10 != sx32 / (int32_t)v10 || sx32 % 7 != sx32 % (int32_t)v7;
    bad += ux32 / 10 != ux32 / (uint32_t)v10 || ux32 / 7 != ux32 / (uint32_t)v7;
    mix(x / 7 + (uint64_t)(sx / 10) + (uint64_t)(int64_t)(sx32 / 1000) + ux32 % 1000000007u);
  }
  expect("const-div", 0x5bc8e1dad3f61949, h);

  uint64_t g = FNV_INIT;
  for (int i = 0; i < N(shv); i++) {
    unsigned s = shv[i];
    for (int k = 0; k < N(s64v); k++) {
      int64_t sx = s64v[k];
      uint64_t u = u64v[k % N(u64v)];
      g = fnv_mix(g, (uint64_t)(sx >> s));
      g = fnv_mix(g, u >> s);
      g = fnv_mix(g, u << s);
      g = fnv_mix(g, (uint64_t)sx << s);
      /* arithmetic right shift == floor division by 2^s */
      if (s < 63) {
        int64_t p = (int64_t)1 << s, fl = sx / p - (sx % p != 0 && sx < 0);
        bad += (sx >> s) != fl;
      }
      if (s < 32) {
        int32_t y = s32v[k];
        uint32_t w = u32v[k % N(u32v)];
        g = fnv_mix(g, (uint64_t)(int64_t)(y >> s));
        g = fnv_mix(g, w >> s);
        g = fnv_mix(g, (uint32_t)(w << s));
        if (s < 31) {
          int32_t p = (int32_t)1 << s, fl = y / p - (y % p != 0 && y < 0);
          bad += (y >> s) != fl;
        }
      }
    }
  }
  expect("shifts", 0x1ea8ebd450319ac, g);
  /* constant-amount shifts (immediate forms) */
  int64_t m = s64v[2];
  int32_t m32 = s32v[2];
  uint64_t c = FNV_INIT;
  c = fnv_mix(c, (uint64_t)(m >> 1));
  c = fnv_mix(c, (uint64_t)(m >> 31));
  c = fnv_mix(c, (uint64_t)(m >> 32));
  c = fnv_mix(c, (uint64_t)(m >> 63));
  c = fnv_mix(c, (uint64_t)m >> 63);
  c = fnv_mix(c, (uint64_t)m << 63);
  c = fnv_mix(c, (uint64_t)(int64_t)(m32 >> 31));
  c = fnv_mix(c, (uint64_t)(int64_t)(m32 >> 1));
  c = fnv_mix(c, (uint32_t)m32 >> 31);
  c = fnv_mix(c, (uint32_t)((uint32_t)m32 << 31));
  expect("const-shifts", 0xcc28377d6ea622c7, c);
  expect("identities", 0, bad);
  return finish(17);
}
