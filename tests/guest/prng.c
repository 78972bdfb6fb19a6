/* PRNG-driven workload: xorshift64*, PCG32 and splitmix64 generators feeding a
 * histogram, a reservoir sample, a random walk, and a Fisher-Yates shuffle. */
#include <quiesce/guest.h>
static uint64_t xs = 0x9e3779b97f4a7c15ull;
static uint64_t xorshift64s(void) { xs ^= xs >> 12; xs ^= xs << 25; xs ^= xs >> 27; return xs * 2685821657736338717ull; }
static uint64_t pcg_state = 0x853c49e6748fea9bull;
static uint32_t pcg32(void) { uint64_t old = pcg_state; pcg_state = old * 6364136223846793005ull + 1442695040888963407ull; uint32_t x = (uint32_t)(((old >> 18) ^ old) >> 27); unsigned rot = (unsigned)(old >> 59); return (x >> rot) | (x << ((-rot) & 31)); }
static uint64_t sm = 42;
static uint64_t splitmix(void) { uint64_t z = (sm += 0x9e3779b97f4a7c15ull); z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull; z = (z ^ (z >> 27)) * 0x94d049bb133111ebull; return z ^ (z >> 31); }
int main(void) {
  unsigned hist[16] = {0}; uint64_t res[8]; int64_t walk = 0, maxw = 0;
  for (int i = 0; i < 8000; i++) {
    uint64_t a = xorshift64s(); uint32_t b = pcg32(); uint64_t c = splitmix();
    hist[(a ^ b ^ c) >> 60]++;
    if (i < 8) res[i] = c; else { uint64_t j = splitmix() % (uint64_t)(i + 1); if (j < 8) res[j] = a; }
    walk += (b & 1) ? 1 : -1; if (walk > maxw) maxw = walk;
  }
  for (int k = 0; k < 16; k++) qg_puthex(hist[k]);
  uint64_t h = 0; for (int k = 0; k < 8; k++) h ^= res[k] + (uint64_t)k;
  qg_puthex(h); qg_puthex((uint64_t)walk); qg_puthex((uint64_t)maxw);
  uint16_t perm[256]; for (int i = 0; i < 256; i++) perm[i] = (uint16_t)i;
  for (int i = 255; i > 0; i--) { uint32_t j = pcg32() % (uint32_t)(i + 1); uint16_t t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
  uint64_t ph = 0; for (int i = 0; i < 256; i++) ph = ph * 257 + perm[i];
  qg_puthex(ph);
  return (int)(ph % 64);
}
