/* Test-and-test-and-set spinlock: lwarx/stwcx. + isync to acquire, lwsync +
 * plain store to release.
 *
 * The critical section is deliberately non-atomic: it checks an "inside" flag
 * is clear and sets it, then read-modify-writes two shared variables a and b
 * (separate lines) with a random delay between the load and the store of a,
 * checks a == b, bumps a counter and clears "inside". Any overlap of two
 * critical sections shows up as inside set on entry, a != b, or lost updates
 * in the final totals (a == b == count == ncpus * K). */
#include "litmus.h"

#ifndef K
#define K 500
#endif

static volatile uint32_t lock_word __attribute__((aligned(LIT_LINE)));
static lit_line_t inside, a, b, count, violations;
static lit_line_t contended[LIT_MAX_CPUS];

static void acquire(unsigned id) {
  uint32_t t;
  int first = 1;
  for (;;) {
    /* test with plain loads first, so waiters don't keep stealing the line */
    while (lock_word != 0) first = 0;
    /* exits with t == 0 only through a successful stwcx.; t != 0: it was held */
    __asm__ __volatile__("1: lwarx %0,0,%1\n\t"
                         "cmpwi %0,0\n\t"
                         "bne- 2f\n\t"
                         "stwcx. %2,0,%1\n\t"
                         "bne- 1b\n"
                         "2:"
                         : "=&r"(t)
                         : "r"(&lock_word), "r"(1)
                         : "cr0", "memory");
    if (t == 0) break;
    first = 0;
  }
  lit_isync(); /* acquire: nothing in the critical section starts before the stwcx. succeeded */
  if (!first) contended[id].v++;
}

static void release(void) {
  lit_lwsync(); /* release: the critical section's accesses are visible before the lock is free */
  lock_word = 0;
}

int main(void) {
  if (!lit_start("spinlock", 1)) return 0;
  unsigned id = qg_cpu_id(), n = qg_num_cpus();
  uint64_t rng = 0x9e3779b97f4a7c15ull * (id + 1);
  lit_barrier(id, n);
  for (unsigned i = 0; i < K; i++) {
    acquire(id);
    if (inside.v) __atomic_fetch_add(&violations.v, 1, __ATOMIC_RELAXED);
    inside.v = 1;
    uint64_t x = a.v;
    lit_delay(lit_rand(&rng) % 16);
    a.v = x + 1;
    b.v = b.v + 1;
    if (a.v != b.v) __atomic_fetch_add(&violations.v, 1, __ATOMIC_RELAXED);
    count.v++;
    inside.v = 0;
    release();
    lit_delay(lit_rand(&rng) % 16);
  }
  lit_barrier(id, n);
  if (id != 0) return 0;
  uint64_t want = (uint64_t)n * K, cont = 0;
  for (unsigned i = 0; i < n; i++) cont += contended[i].v;
  qg_puts("spinlock");
  lit_kv("cpus", n);
  lit_kv("k", K);
  lit_kv("count", count.v);
  lit_kv("a", a.v);
  lit_kv("b", b.v);
  lit_kv("want", want);
  lit_kv("contended", cont);
  lit_kv("violations", violations.v);
  return lit_verdict(violations.v == 0 && count.v == want && a.v == want && b.v == want);
}
