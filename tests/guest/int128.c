/* Exercises: __int128 arithmetic — 128-bit add/sub (addc/adde, subfc/subfe),
 * multiply (mulld/mulhdu cross products), unsigned and signed division and
 * modulo (libgcc __udivti3/__divti3/__umodti3/__modti3; under ELFv2 their
 * replacements in guest/lib/libgcc_elfv2.c), shifts by variable
 * amounts across the 64-bit boundary (0, 1, 63, 64, 65, 127), arithmetic
 * right shift of negatives, signed/unsigned 128-bit comparisons, conversions
 * to and from 64-bit, a 128-bit LCG, a 128-bit integer square root, and 400
 * random divisions with divisors of every width (1 to 128 bits).
 * Model: reference.py int128. */
#include "check.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

static uint64_t h = FNV_INIT;
static void mix128(u128 v) { h = fnv_mix(fnv_mix(h, (uint64_t)(v >> 64)), (uint64_t)v); }
static volatile unsigned shifts[] = {0, 1, 31, 63, 64, 65, 100, 127};

static u128 isqrt(u128 n) { /* Newton's method */
  if (n < 2) return n;
  u128 x = n, y = (n >> 1) + (n & 1);
  while (y < x) {
    x = y;
    y = (x + n / x) >> 1;
  }
  return x;
}

int main(void) {
  u128 a = ((u128)0x0123456789abcdefull << 64) | 0xfedcba9876543210ull;
  u128 b = ((u128)0x1ull << 64) | 0x1234567ull;
  mix128(a * b);
  mix128(a / b);
  mix128(a % b);
  mix128(a / 7);
  mix128(a % 1000000007ull);
  mix128(a + b);
  mix128(b - a);
  expect("basic", 0x5a7b83cae80a5ba2, h);

  for (int i = 0; i < 8; i++) {
    unsigned s = shifts[i];
    mix128(a << s);
    mix128(a >> s);
    mix128((u128)(-(s128)a >> s));
    mix128((u128)((s128)(a << 1) >> s));
  }
  expect("shifts", 0x3e26633778505e82, h);

  s128 n = -(s128)a;
  mix128((u128)(n / 12345));
  mix128((u128)(n % 12345));
  mix128((u128)(n / -(s128)b));
  mix128((u128)(n % -(s128)b));
  mix128((u128)(-n / -7));
  mix128((u128)(n < 0) << 3 | (u128)((u128)n > a) << 2 | (u128)(n < (s128)b) << 1 | (u128)((u128)n < b));
  expect("signed", 0x805c067a53ca9b4e, h);

  u128 x = 1;
  uint64_t acc = 0;
  for (int i = 0; i < 1500; i++) {
    x = x * (((u128)0x2360ed051fc65da4ull << 64) | 0x4385df649fccf645ull) + 1442695040888963407ull;
    acc ^= (uint64_t)(x >> 64) + (uint64_t)(x % 97) + (uint64_t)(x >> (i & 127));
  }
  mix128(x);
  mix128(acc);
  expect("lcg", 0xcffa8d5f205f7787, h);

  uint64_t p = 0xffffffffffffffc5ull, q = 0xfffffffffffffc2full;
  u128 pq = (u128)p * q;
  expect("pq.high", 0xfffffffffffffbf4, (uint64_t)(pq >> 64));
  expect("pq.low", 0xe12b, (uint64_t)pq);
  expect("pq/p", q, (uint64_t)(pq / p));
  expect("pq%q", 0, (uint64_t)(pq % q));
  expect("isqrt(pq)", 0xfffffffffffffdf9, (uint64_t)isqrt(pq));
  u128 r2 = isqrt(~(u128)0);
  expect("isqrt(2^128-1)", 0xffffffffffffffffull, (uint64_t)r2);
  unsigned bad = 0;
  for (uint64_t k = 1; k < 200; k++) {
    u128 m = (u128)k * k * 0x10000000000000ull + k;
    u128 r = isqrt(m);
    bad += !(r * r <= m && (r + 1) * (r + 1) > m);
  }
  expect("isqrt-bounds", 0, bad);

  /* random divisions with divisors of every size: q*d + r == n, r < d */
  uint64_t z = 0x0123456789abcdefull, dh = FNV_INIT;
  bad = 0;
  for (int i = 0; i < 400; i++) {
    z ^= z << 13, z ^= z >> 7, z ^= z << 17;
    uint64_t w1 = z;
    z ^= z << 13, z ^= z >> 7, z ^= z << 17;
    u128 num = (u128)w1 << 64 | z;
    z ^= z << 13, z ^= z >> 7, z ^= z << 17;
    unsigned bits = 1 + (unsigned)(z % 128);
    u128 den = (((u128)z << 64) | (z * 0x9e3779b97f4a7c15ull)) >> (128 - bits);
    if (!den) den = 1;
    if (i % 5 == 0) num >>= z % 100;
    u128 q = num / den, r = num % den;
    bad += !(q * den + r == num && r < den);
    s128 sn = (s128)num, sd = (s128)(den >> 1) + 2; /* |sd| >= 2: no INT128_MIN / -1 */
    if (i & 1) sd = -sd;
    s128 sq = sn / sd, sr = sn % sd;
    bad += !(sq * sd + sr == sn && (sr == 0 || (sr < 0) == (sn < 0)));
    dh = fnv_mix(fnv_mix(dh, (uint64_t)(q >> 64) ^ (uint64_t)q), (uint64_t)r ^ (uint64_t)(sq >> 64) ^ (uint64_t)sr);
  }
  expect("random-div-identities", 0, bad);
  expect("random-div", 0xe060e7da8d0b1422, dh);
  return finish(20);
}
