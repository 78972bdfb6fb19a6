/* Benchmark guest: a long, deterministic mix of integer work (PRNG, insertion
 * sort, table CRC32, a hash table with linear probing, 64-bit multiply and
 * divide). ROUNDS scales it; at the default it runs well over 500 million
 * instructions. Prints one checksum; the same source runs under qemu-ppc64. */
#include <quiesce/guest.h>

#ifndef ROUNDS
#define ROUNDS 500
#endif

static uint64_t rng = 88172645463325252ull;
static uint64_t xorshift(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static uint32_t crc_table[256];
static int32_t arr[2048];
static uint64_t keys[4096];

static void insertion_sort(int32_t *a, int n) {
  for (int i = 1; i < n; i++) {
    int32_t v = a[i];
    int j = i - 1;
    while (j >= 0 && a[j] > v) { a[j + 1] = a[j]; j--; }
    a[j + 1] = v;
  }
}

static unsigned hash_insert(uint64_t k) {
  unsigned h = (unsigned)((k * 0x9e3779b97f4a7c15ull) >> 52);
  unsigned probes = 0;
  while (keys[h] && keys[h] != k) { h = (h + 1) & 4095; probes++; }
  keys[h] = k;
  return probes;
}

int main(void) {
  if (qg_cpu_id() != 0) return 0;
  for (unsigned i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
  uint32_t crc = 0xffffffffu;
  uint64_t acc = 0;
  for (int round = 0; round < ROUNDS; round++) {
    for (int i = 0; i < 2048; i++) arr[i] = (int32_t)(xorshift() >> 40);
    insertion_sort(arr, 700);
    for (int i = 0; i < 2048; i++) {
      uint32_t v = (uint32_t)arr[i];
      for (int b = 0; b < 4; b++) crc = crc_table[(crc ^ (v >> (8 * b))) & 0xff] ^ (crc >> 8);
      acc += (uint64_t)v * (uint64_t)(i + 1) / (uint64_t)(round + 3);
    }
    for (int i = 0; i < 4096; i++) keys[i] = 0;
    for (int i = 0; i < 3000; i++) acc += hash_insert(xorshift() | 1);
  }
  qg_puthex(acc ^ crc);
  return 0;
}
