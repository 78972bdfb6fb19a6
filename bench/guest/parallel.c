/* Benchmark guest for N CPUs: every CPU runs its own integer work on its own
 * data (PRNG, insertion sort, a hash table: no line is shared). With
 * -DSHARED_EVERY=K every CPU also increments one shared counter atomically
 * every K inner iterations: the shared-line traffic variant. CPU 0 waits for
 * everyone, checks the shared total and prints a checksum. */
#include <quiesce/guest.h>

#ifndef ROUNDS
#define ROUNDS 40
#endif
#ifndef SHARED_EVERY
#define SHARED_EVERY 0
#endif
#define MAX_CPUS 64

struct percpu {
  uint64_t rng;
  int32_t arr[256];
  uint64_t keys[512];
  uint64_t sum;
} __attribute__((aligned(128)));

static struct percpu cpu[MAX_CPUS];
static volatile uint64_t shared_counter __attribute__((aligned(128)));
static volatile unsigned finished __attribute__((aligned(128)));

static uint64_t xorshift(struct percpu *p) {
  p->rng ^= p->rng << 13;
  p->rng ^= p->rng >> 7;
  p->rng ^= p->rng << 17;
  return p->rng;
}

static void work(struct percpu *p) {
  unsigned ops = 0;
  for (int round = 0; round < ROUNDS; round++) {
    for (int i = 0; i < 256; i++) p->arr[i] = (int32_t)(xorshift(p) >> 40);
    for (int i = 1; i < 256; i++) {
      int32_t v = p->arr[i];
      int j = i - 1;
      while (j >= 0 && p->arr[j] > v) { p->arr[j + 1] = p->arr[j]; j--; }
      p->arr[j + 1] = v;
      if (SHARED_EVERY && ++ops % SHARED_EVERY == 0) __atomic_fetch_add(&shared_counter, 1, __ATOMIC_RELAXED);
    }
    for (int i = 0; i < 512; i++) p->keys[i] = 0;
    for (int i = 0; i < 256; i++) {
      uint64_t k = (uint64_t)p->arr[i] * 0x9e3779b97f4a7c15ull + 1;
      unsigned h = (unsigned)(k >> 55);
      while (p->keys[h] && p->keys[h] != k) h = (h + 1) & 511;
      p->keys[h] = k;
    }
    p->sum += (uint64_t)p->arr[round & 255] + p->keys[round & 511];
  }
}

int main(void) {
  unsigned id = qg_cpu_id(), n = qg_num_cpus();
  if (n > MAX_CPUS) return 2;
  cpu[id].rng = 88172645463325252ull + id;
  work(&cpu[id]);
  __atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
  if (id) return 0;
  while (finished < n) {}
  uint64_t sum = 0;
  for (unsigned i = 0; i < n; i++) sum += cpu[i].sum;
  qg_puthex(sum);
  qg_puthex(shared_counter);
  if (SHARED_EVERY && shared_counter != (uint64_t)n * (ROUNDS * 255u / SHARED_EVERY)) return 1;
  return 0;
}
