/* Exercises: __builtin_popcount/popcountll (popcntb plus a multiply at
 * -mcpu=power5, shift-and-mask arithmetic at power4/970), clz/clzll
 * (cntlzw/cntlzd), ctz/ctzll, ffs/ffsll, parity, clrsb, bswap16/32/64
 * (rotate-and-insert sequences), and 32/64-bit rotates by variable and
 * constant amounts (rlwnm/rldcl/rlwinm/rldicl), each compared with a naive
 * bit-at-a-time loop, then hashed over an xorshift stream.
 * Model: reference.py bitops. */
#include "check.h"

#define NOINLINE __attribute__((noinline))
static NOINLINE int naive_pop(uint64_t x) {
  int n = 0;
  for (int i = 0; i < 64; i++) n += (int)((x >> i) & 1);
  return n;
}
static NOINLINE int naive_clz(uint64_t x, int width) {
  int n = 0;
  for (int i = width - 1; i >= 0 && !((x >> i) & 1); i--) n++;
  return n;
}
static NOINLINE int naive_ctz(uint64_t x, int width) {
  int n = 0;
  for (int i = 0; i < width && !((x >> i) & 1); i++) n++;
  return n;
}
static NOINLINE uint64_t naive_bswap(uint64_t x, int bytes) {
  uint64_t r = 0;
  for (int i = 0; i < bytes; i++) r |= ((x >> (8 * i)) & 0xff) << (8 * (bytes - 1 - i));
  return r;
}
static uint64_t rot64(uint64_t x, unsigned r) { return (x << (r & 63)) | (x >> ((64 - r) & 63)); }
static uint32_t rot32(uint32_t x, unsigned r) { return (x << (r & 31)) | (x >> ((32 - r) & 31)); }
static NOINLINE uint64_t naive_rot64(uint64_t x, unsigned r) {
  for (unsigned i = 0; i < (r & 63); i++) x = x << 1 | x >> 63;
  return x;
}

static uint64_t xs = 0x123456789abcdef1ull;
static uint64_t next(void) {
  xs ^= xs << 13;
  xs ^= xs >> 7;
  xs ^= xs << 17;
  return xs;
}

int main(void) {
  unsigned bad = 0;
  for (int i = 0; i < 300; i++) {
    uint64_t x = next();
    if (i % 3 == 0) x >>= i % 64; /* small values too */
    if (i % 5 == 0) x <<= i % 61;
    uint32_t y = (uint32_t)(x >> (i % 33));
    bad += __builtin_popcountll(x) != naive_pop(x);
    bad += __builtin_popcount(y) != naive_pop(y);
    if (x) bad += __builtin_clzll(x) != naive_clz(x, 64);
    if (y) bad += __builtin_clz(y) != naive_clz(y, 32);
    if (x) bad += __builtin_ctzll(x) != naive_ctz(x, 64);
    if (y) bad += __builtin_ctz(y) != naive_ctz(y, 32);
    bad += __builtin_ffsll((long long)x) != (x ? naive_ctz(x, 64) + 1 : 0);
    bad += __builtin_parityll(x) != (naive_pop(x) & 1);
    bad += __builtin_bswap64(x) != naive_bswap(x, 8);
    bad += __builtin_bswap32(y) != naive_bswap(y, 4);
    bad += __builtin_bswap16((uint16_t)y) != naive_bswap((uint16_t)y, 2);
    bad += rot64(x, (unsigned)i) != naive_rot64(x, (unsigned)i);
  }
  expect("naive-mismatches", 0, bad);

  uint64_t h = FNV_INIT;
  for (int i = 0; i < 3000; i++) {
    uint64_t x = next();
    if (i % 7 == 0) x >>= i % 64;
    uint32_t y = (uint32_t)(x >> 17);
    h = fnv_mix(h, (uint64_t)__builtin_popcountll(x) << 32 | (uint64_t)__builtin_popcount(y));
    h = fnv_mix(h, (uint64_t)(x ? __builtin_clzll(x) : 64) << 32 | (uint64_t)(y ? __builtin_clz(y) : 32));
    h = fnv_mix(h, (uint64_t)(x ? __builtin_ctzll(x) : 64) << 32 | (uint64_t)(y ? __builtin_ctz(y) : 32));
    h = fnv_mix(h, (uint64_t)__builtin_clrsbll((long long)x) << 8 | (uint64_t)__builtin_clrsb((int)y));
    h = fnv_mix(h, __builtin_bswap64(x) ^ __builtin_bswap32(y) ^ __builtin_bswap16((uint16_t)y));
    h = fnv_mix(h, rot64(x, (unsigned)i) ^ rot32(y, (unsigned)i * 3) ^ rot64(x, 23) ^ rot32(y, 9));
  }
  expect("hash", 0x944e3991d4f45213, h);
  expect("clzll(1)", 63, (uint64_t)__builtin_clzll(*(volatile uint64_t *)&(uint64_t){1}));
  expect("bswap64", 0x0807060504030201ull, __builtin_bswap64(*(volatile uint64_t *)&(uint64_t){0x0102030405060708ull}));
  expect("popcount(~0)", 64, (uint64_t)__builtin_popcountll(*(volatile uint64_t *)&(uint64_t){~0ull}));
  return finish(14);
}
