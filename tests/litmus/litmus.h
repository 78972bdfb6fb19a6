/* Shared helpers for the multi-CPU litmus programs in tests/litmus/.
 *
 * Every program runs main() on all CPUs, checks itself and returns 0 from
 * CPU 0 when nothing forbidden was observed (1 otherwise), after printing one
 * summary line "NAME key=value ... PASS|FAIL". Shared variables that different
 * CPUs write live in separate 128-byte lines (lit_line_t) so that, once the
 * coherent cache model is in, the tests exercise cross-line ordering rather
 * than false sharing.
 *
 * Barriers are written out (lit_sync/lit_lwsync/lit_isync) where the litmus
 * pattern needs an exact one; elsewhere gcc's __atomic builtins are used
 * (ACQUIRE load = load; cmp; bne; isync, RELEASE store = lwsync; store,
 * fetch_add = [lwsync] larx/stcx. loop [isync]). */
#ifndef QUIESCE_TESTS_LITMUS_H
#define QUIESCE_TESTS_LITMUS_H
#include <quiesce/guest.h>

#define LIT_MAX_CPUS 64
#define LIT_LINE 128

typedef struct { volatile uint64_t v; } __attribute__((aligned(LIT_LINE))) lit_line_t;

#define lit_sync() __asm__ __volatile__("sync" ::: "memory")
#define lit_lwsync() __asm__ __volatile__("lwsync" ::: "memory")
#define lit_isync() __asm__ __volatile__("isync" ::: "memory")

/* ---- console ---- */

__attribute__((noinline, unused)) static void lit_putdec(uint64_t v) {
  char buf[21];
  int i = 20;
  buf[i] = 0;
  do { buf[--i] = (char)('0' + v % 10); v /= 10; } while (v);
  qg_puts(buf + i);
}

/* " key=value" (decimal): the pieces of the one-line summary. */
__attribute__((noinline, unused)) static void lit_kv(const char *key, uint64_t v) {
  qg_putc(' ');
  qg_puts(key);
  qg_putc('=');
  lit_putdec(v);
}

/* Ends the summary line; main's return value (0 pass, 1 fail). */
__attribute__((noinline, unused)) static int lit_verdict(int ok) {
  qg_puts(ok ? " PASS\n" : " FAIL\n");
  return ok ? 0 : 1;
}

/* ---- sense-reversing barrier over all CPUs ----
 * The last CPU to arrive resets the count and then flips the global sense
 * (release: the reset is visible before anyone can pass); the others spin on
 * the sense with acquire loads. The fetch_add is acq_rel, so everything a CPU
 * did before the barrier happens-before everything any CPU does after it. */
static volatile unsigned lit_bar_count __attribute__((aligned(LIT_LINE)));
static volatile unsigned lit_bar_sense __attribute__((aligned(LIT_LINE)));
static lit_line_t lit_local_sense[LIT_MAX_CPUS];

__attribute__((noinline, unused)) static void lit_barrier(unsigned id, unsigned n) {
  unsigned s = !lit_local_sense[id].v;
  lit_local_sense[id].v = s;
  if (__atomic_add_fetch(&lit_bar_count, 1, __ATOMIC_ACQ_REL) == n) {
    lit_bar_count = 0;
    __atomic_store_n(&lit_bar_sense, s, __ATOMIC_RELEASE);
  } else {
    while (__atomic_load_n(&lit_bar_sense, __ATOMIC_ACQUIRE) != s) { }
  }
}

/* ---- start-up ----
 * Returns 1 when the program should run. With more than LIT_MAX_CPUS CPUs the
 * run fails (exit 2: the per-CPU arrays are sized for 64); with fewer than
 * min_cpus it is skipped and passes, CPU 0 saying so. Non-zero CPUs that get 0
 * must simply return from main (which halts them). */
__attribute__((unused)) static int lit_start(const char *name, unsigned min_cpus) {
  unsigned id = qg_cpu_id(), n = qg_num_cpus();
  if (n > LIT_MAX_CPUS) {
    if (id == 0) {
      qg_puts(name);
      qg_puts(": at most 64 CPUs supported\n");
      qg_exit(2);
    }
    return 0;
  }
  if (n < min_cpus) {
    if (id == 0) {
      qg_puts(name);
      lit_kv("cpus", n);
      qg_puts(" skipped: needs at least ");
      lit_putdec(min_cpus);
      qg_puts(" CPUs PASS\n");
    }
    return 0;
  }
  return 1;
}

/* ---- randomness and delays: vary the interleavings between rounds ---- */

static inline uint64_t lit_rand(uint64_t *s) { /* xorshift64 */
  uint64_t x = *s;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return *s = x;
}

static inline void lit_delay(unsigned iters) {
  for (unsigned i = 0; i < iters; i++) __asm__ __volatile__("" ::: "memory");
}

#endif
