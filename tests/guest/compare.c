/* Exercises: 32- vs 64-bit comparisons (cmpw/cmpd/cmplw/cmpld and their
 * immediate forms), sign and zero extension of char/short/int (extsb/extsh/
 * extsw, rlwinm/rldicl clears, lha/lwa vs lhz/lwz loads), mixed-width and
 * mixed-signedness comparisons, booleans materialised from comparisons
 * (mfcr/mfocrf and rotate, or carry tricks), CR logic for && and ||, min/max
 * and conditional selects. Each comparison is also recomputed from the sign
 * of a 128-bit difference (no compare instruction) and must agree.
 * Model: reference.py compare. */
#include "check.h"

static volatile int64_t vals[] = {
    0, 1, -1, 2, -2, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, -32769, 65535, 65536,
    0x7fffffff, 0x80000000ll, -0x80000000ll, -0x80000001ll, 0xffffffffll, 0x100000000ll,
    -0x100000001ll, 0x7fffffffffffffffll, -0x7fffffffffffffffll - 1, 0x123456789abcdefll,
    -0x123456789abcdefll, 0x00000000ffff8000ll, 0xffffffff00000001ll};
#define NV (int)(sizeof vals / sizeof vals[0])

typedef __int128 s128;
/* a < b from the sign of the exact difference */
static unsigned lt_s(s128 a, s128 b) { return (unsigned)((unsigned __int128)(a - b) >> 127); }

__attribute__((noinline)) static unsigned direct(int64_t a, int64_t b) {
  int32_t a32 = (int32_t)a, b32 = (int32_t)b;
  unsigned bits = 0;
  bits |= (unsigned)(a < b) << 0;
  bits |= (unsigned)(a > b) << 1;
  bits |= (unsigned)((uint64_t)a < (uint64_t)b) << 2;
  bits |= (unsigned)(a32 < b32) << 3;
  bits |= (unsigned)((uint32_t)a32 < (uint32_t)b32) << 4;
  bits |= (unsigned)(a == b) << 5;
  bits |= (unsigned)(a32 == b32) << 6;
  bits |= (unsigned)((int8_t)a < (int8_t)b) << 7;
  bits |= (unsigned)((uint16_t)a < (uint16_t)b) << 8;
  bits |= (unsigned)((int16_t)a <= (int16_t)b) << 9;
  bits |= (unsigned)((uint8_t)a >= (uint8_t)b) << 10;
  bits |= (unsigned)(a < 0 && b >= 0) << 11;
  bits |= (unsigned)(a32 > 100 || b32 < -100) << 12;
  bits |= (unsigned)(a < (int64_t)b32) << 13;            /* 64 vs sign-extended 32 */
  bits |= (unsigned)((uint64_t)a < (uint64_t)(uint32_t)b32) << 14; /* vs zero-extended */
  bits |= (unsigned)(a >= 1000) << 15;
  bits |= (unsigned)((uint32_t)a32 > 40000u) << 16;
  return bits;
}

__attribute__((noinline)) static unsigned reference(int64_t a, int64_t b) {
  int32_t a32 = (int32_t)a, b32 = (int32_t)b;
  unsigned bits = 0;
  bits |= lt_s(a, b) << 0;
  bits |= lt_s(b, a) << 1;
  bits |= lt_s((uint64_t)a, (uint64_t)b) << 2;
  bits |= lt_s(a32, b32) << 3;
  bits |= lt_s((uint32_t)a32, (uint32_t)b32) << 4;
  bits |= (lt_s(a, b) | lt_s(b, a)) << 5;
  bits |= (lt_s(a32, b32) | lt_s(b32, a32)) << 6;
  bits |= lt_s((int8_t)a, (int8_t)b) << 7;
  bits |= lt_s((uint16_t)a, (uint16_t)b) << 8;
  bits |= (lt_s((int16_t)b, (int16_t)a) ^ 1) << 9;
  bits |= (lt_s((uint8_t)a, (uint8_t)b) ^ 1) << 10;
  bits |= (lt_s(a, 0) & (lt_s(b, 0) ^ 1)) << 11;
  bits |= (lt_s(100, a32) | lt_s(b32, -100)) << 12;
  bits |= lt_s(a, b32) << 13;
  bits |= lt_s((uint64_t)a, (uint32_t)b32) << 14;
  bits |= (lt_s(a, 1000) ^ 1) << 15;
  bits |= lt_s(40000, (uint32_t)a32) << 16;
  return bits ^ (1u << 5) ^ (1u << 6); /* == is "neither < nor >" */
}

int main(void) {
  uint64_t h = FNV_INIT, sel = FNV_INIT;
  unsigned bad = 0;
  for (int rep = 0; rep < 3; rep++)
    for (int i = 0; i < NV; i++)
      for (int j = 0; j < NV; j++) {
        int64_t a = vals[i], b = vals[j];
        if (rep == 1) a ^= (int64_t)j << 40;
        if (rep == 2) b = (int64_t)((uint64_t)b + (uint64_t)i * 0x10001);
        unsigned d = direct(a, b);
        bad += d != reference(a, b);
        h = fnv_mix(h, d);
        int32_t a32 = (int32_t)a, b32 = (int32_t)b;
        sel = fnv_mix(sel, (uint64_t)(a < b ? a : b) + (uint64_t)(int64_t)(a32 > b32 ? a32 : b32));
        sel = fnv_mix(sel, (uint64_t)(int64_t)(int8_t)a + (uint64_t)(uint16_t)b + (uint64_t)(int64_t)(int16_t)b +
                               (uint64_t)(uint32_t)a32);
      }
  expect("direct-vs-difference", 0, bad);
  expect("compare-bits", 0x4ba3f411ce216d20, h);
  expect("selects", 0x8fd2d1d8b37fbffb, sel);
  int64_t s = 0;
  for (int i = -3000; i < 3000; i += 7) s += (i < 0) - (i > 500) + (i & 1 ? i : -i) + ((unsigned)i > 100u);
  expect("loop-sum", 0xf4f, (uint64_t)s);
  return finish(15);
}
