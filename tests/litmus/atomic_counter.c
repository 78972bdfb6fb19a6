/* Atomic read-modify-write under contention: ldarx/stdcx. and lwarx/stwcx.
 *
 * Every CPU adds 1 to one shared 64-bit counter K times, and alternately adds
 * 1 and 2 to the two 32-bit halves of one shared doubleword (so a 32-bit
 * stwcx. that clobbered its neighbour word, or a reservation that survived the
 * neighbour's store, would lose updates). Checks the exact totals. The 64-bit
 * counter starts just below 2^32 so the carry into the high word is crossed
 * under contention, and every CPU sums the old values its ldarx loops returned:
 * the sum over all CPUs must be init + (init+1) + ... + (init+nK-1), which
 * fails if two increments ever returned the same old value. */
#include "litmus.h"

#ifndef K
#define K 2000
#endif

static lit_line_t c64;
static struct { volatile uint32_t w0, w1; } __attribute__((aligned(LIT_LINE))) c32;
static lit_line_t oldsum[LIT_MAX_CPUS];

static inline uint64_t add64(volatile uint64_t *p, uint64_t v) {
  uint64_t old, t;
  __asm__ __volatile__("1: ldarx %0,0,%3\n\t"
                       "add %1,%0,%4\n\t"
                       "stdcx. %1,0,%3\n\t"
                       "bne- 1b"
                       : "=&r"(old), "=&r"(t), "+m"(*p)
                       : "r"(p), "r"(v)
                       : "cr0", "memory");
  return old;
}

static inline uint32_t add32(volatile uint32_t *p, uint32_t v) {
  uint32_t old, t;
  __asm__ __volatile__("1: lwarx %0,0,%3\n\t"
                       "add %1,%0,%4\n\t"
                       "stwcx. %1,0,%3\n\t"
                       "bne- 1b"
                       : "=&r"(old), "=&r"(t), "+m"(*p)
                       : "r"(p), "r"(v)
                       : "cr0", "memory");
  return old;
}

int main(void) {
  if (!lit_start("atomic_counter", 1)) return 0;
  unsigned id = qg_cpu_id(), n = qg_num_cpus();
  uint64_t total = (uint64_t)n * K, init = 0xffffffffull - total / 2;
  if (id == 0) c64.v = init;
  lit_barrier(id, n);
  uint64_t s = 0;
  for (unsigned i = 0; i < K; i++) {
    s += add64(&c64.v, 1);
    if (i & 1) add32(&c32.w1, 2); else add32(&c32.w0, 1);
  }
  oldsum[id].v = s;
  lit_barrier(id, n);
  if (id != 0) return 0;
  uint64_t got = 0, want = init * total + total * (total - 1) / 2;
  for (unsigned i = 0; i < n; i++) got += oldsum[i].v;
  /* per CPU: (K+1)/2 even iterations added 1 to w0, K/2 odd ones added 2 to w1 */
  uint32_t w0 = c32.w0, w1 = c32.w1;
  int ok = c64.v == init + total && got == want && w0 == n * ((K + 1) / 2) && w1 == 2 * n * (K / 2);
  qg_puts("atomic_counter");
  lit_kv("cpus", n);
  lit_kv("k", K);
  lit_kv("c64", c64.v - init);
  lit_kv("want", total);
  lit_kv("oldsum_ok", got == want);
  lit_kv("w0", w0);
  lit_kv("w1", w1);
  return lit_verdict(ok);
}
