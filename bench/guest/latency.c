/* Dependent-load latency ladder (CPU 0 only; run it with --cpus 1).
 *
 * For each working set from 4 KiB to MAX_KIB (default 16 MiB) the set is cut
 * into 128-byte nodes (one per cache line) linked into a single random cycle,
 * so every load depends on the previous one and the order defeats any
 * next-line prefetching. One warm-up pass, then LOADS or two passes, whichever
 * is more, are timed with the timebase. Prints
 *     latency <bytes> <cycles per load x 100>
 * per working set. The figure includes the loop's own overhead (one compare
 * and branch per 16 loads). */
#include <quiesce/guest.h>

#ifndef MAX_KIB
#define MAX_KIB 16384
#endif
#ifndef LOADS
#define LOADS 20000
#endif
#define LINE 128
#define MAX_NODES (MAX_KIB * 1024 / LINE)

struct node {
  struct node *next;
  char pad[LINE - sizeof(struct node *)];
};

static struct node nodes[MAX_NODES] __attribute__((aligned(LINE)));
static uint32_t perm[MAX_NODES];
static volatile uintptr_t sink;

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t xorshift(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void putdec(uint64_t v) {
  char buf[21];
  int i = 20;
  buf[i] = 0;
  do { buf[--i] = (char)('0' + v % 10); v /= 10; } while (v);
  qg_puts(buf + i);
}

/* Sattolo's shuffle gives a permutation that is one cycle through all k nodes. */
static struct node *link(uint32_t k) {
  for (uint32_t i = 0; i < k; i++) perm[i] = i;
  for (uint32_t i = k - 1; i > 0; i--) {
    uint32_t j = (uint32_t)(xorshift() % i);
    uint32_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  for (uint32_t i = 0; i < k; i++) nodes[perm[i]].next = &nodes[perm[(i + 1) % k]];
  return &nodes[perm[0]];
}

static struct node *chase(struct node *p, uint64_t groups) {
  for (uint64_t i = 0; i < groups; i++) {
#define S p = p->next;
    S S S S S S S S S S S S S S S S
#undef S
  }
  return p;
}

int main(void) {
  if (qg_cpu_id() != 0) return 0; /* halts the other CPUs; CPU 0's return ends the run */
  for (uint64_t bytes = 4096; bytes <= (uint64_t)MAX_KIB * 1024; bytes *= 2) {
    uint32_t k = (uint32_t)(bytes / LINE);
    struct node *p = link(k);
    p = chase(p, (k + 15) / 16); /* warm-up: at least one full pass */
    uint64_t loads = LOADS > 2ull * k ? LOADS : 2ull * k;
    uint64_t groups = (loads + 15) / 16;
    uint64_t t0 = qg_cycles();
    p = chase(p, groups);
    uint64_t t1 = qg_cycles();
    sink = (uintptr_t)p;
    qg_puts("latency ");
    putdec(bytes);
    qg_putc(' ');
    putdec((t1 - t0) * 100 / (groups * 16));
    qg_putc('\n');
  }
  return 0;
}
