/* Exercises: a PRNG-driven workload — xorshift64*, PCG32 (64-bit LCG state,
 * xorshift and data-dependent 32-bit rotate) and splitmix64 generators
 * feeding a histogram, reservoir sampling (64-bit unsigned modulo), a random
 * walk with running maximum, a Fisher-Yates shuffle of 16-bit values, and
 * rejection sampling for an unbiased bounded integer.
 * Model: reference.py prng. */
#include "check.h"

static uint64_t xs = 0x9e3779b97f4a7c15ull;
static uint64_t xorshift64s(void) {
  xs ^= xs >> 12;
  xs ^= xs << 25;
  xs ^= xs >> 27;
  return xs * 2685821657736338717ull;
}
static uint64_t pcg_state = 0x853c49e6748fea9bull;
static uint32_t pcg32(void) {
  uint64_t old = pcg_state;
  pcg_state = old * 6364136223846793005ull + 1442695040888963407ull;
  uint32_t x = (uint32_t)(((old >> 18) ^ old) >> 27);
  unsigned rot = (unsigned)(old >> 59);
  return (x >> rot) | (x << ((-rot) & 31));
}
static uint64_t sm = 42;
static uint64_t splitmix(void) {
  uint64_t z = (sm += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static uint32_t bounded(uint32_t n) { /* unbiased value in [0, n) */
  uint32_t limit = -n % n;           /* 2^32 mod n */
  for (;;) {
    uint32_t r = pcg32();
    if (r >= limit) return r % n;
  }
}

int main(void) {
  unsigned hist[16] = {0};
  uint64_t res[8];
  int64_t walk = 0, maxw = 0;
  for (int i = 0; i < 8000; i++) {
    uint64_t a = xorshift64s();
    uint32_t b = pcg32();
    uint64_t c = splitmix();
    hist[(a ^ b ^ c) >> 60]++;
    if (i < 8) res[i] = c;
    else {
      uint64_t j = splitmix() % (uint64_t)(i + 1);
      if (j < 8) res[j] = a;
    }
    walk += (b & 1) ? 1 : -1;
    if (walk > maxw) maxw = walk;
  }
  uint64_t hh = FNV_INIT;
  unsigned total = 0;
  for (int k = 0; k < 16; k++) hh = fnv_mix(hh, hist[k]), total += hist[k];
  expect("histogram", 0xdc2abc5fa0c61a0b, hh);
  expect("histogram.total", 8000, total);
  uint64_t h = FNV_INIT;
  for (int k = 0; k < 8; k++) h = fnv_mix(h, res[k]);
  expect("reservoir", 0xb9e33bfbd728968d, h);
  expect("walk.end", 0xffffffffffffffdc, (uint64_t)walk);
  expect("walk.max", 0x6f, (uint64_t)maxw);

  uint16_t perm[256];
  for (int i = 0; i < 256; i++) perm[i] = (uint16_t)i;
  for (int i = 255; i > 0; i--) {
    uint32_t j = bounded((uint32_t)(i + 1));
    uint16_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  uint64_t ph = FNV_INIT, psum = 0;
  for (int i = 0; i < 256; i++) ph = fnv_mix(ph, perm[i]), psum += perm[i];
  expect("shuffle", 0xa515813ab0783d0b, ph);
  expect("shuffle.sum", 255 * 256 / 2, psum);
  uint64_t bsum = 0;
  for (int i = 0; i < 2000; i++) {
    uint32_t big = bounded(1000000007u); /* sequenced: operand order is unspecified */
    bsum += big ^ bounded(3);
  }
  expect("bounded", 0xeddad02b57, bsum);
  return finish(23);
}
