/* bench/calibrate: one atomic increment (an ldarx/addi/stdcx./bne- loop), timed alone
 * with the timebase, on a line this CPU holds and on a line another CPU just wrote.
 * Run with --cpus 2.
 *   local   CPU 0 increments a line it has just written itself (Modified in its L1D).
 *   remote  each round, CPU 1 stores to the line, then (after a sync) raises a flag on
 *           another line; CPU 0 waits for the flag, then increments the line (which CPU 1's
 *           cache holds Modified), then acknowledges on a third line.
 *   empty   the two timebase reads with nothing between: the bracket's own cost.
 * Prints, for each, the sum over ROUNDS rounds:
 *     atomic <what> <rounds> <cycles>
 * Round 0 of each is left out (it brings the code into the caches). Exits 1 when the
 * counters are wrong. */
#include <quiesce/guest.h>

#ifndef ROUNDS
#define ROUNDS 64
#endif
#define LINE 128

typedef struct { volatile uint64_t v; } __attribute__((aligned(LINE))) line_t;
static line_t mine, target, flag, ack;

static void putdec(uint64_t v) {
  char b[21];
  int i = 20;
  b[i] = 0;
  do { b[--i] = (char)('0' + v % 10); v /= 10; } while (v);
  qg_puts(b + i);
}

static inline uint64_t tb(void) {
  uint64_t t;
  __asm__ __volatile__("mftb %0" : "=r"(t) : : "memory");
  return t;
}

/* The increment, bracketed by the timebase; the second read issues after the bne-, which
 * waits for the stdcx.'s result. */
static __attribute__((noinline)) uint64_t timed_inc(volatile uint64_t *p) {
  uint64_t t0, t1, v;
  __asm__ __volatile__(
      "mftb %0\n"
      "1: ldarx %2,0,%3\n"
      "addi %2,%2,1\n"
      "stdcx. %2,0,%3\n"
      "bne- 1b\n"
      "mftb %1\n"
      : "=&r"(t0), "=&r"(t1), "=&b"(v) /* b: not r0, which addi reads as 0 */
      : "r"(p)
      : "cr0", "memory");
  return t1 - t0;
}

static __attribute__((noinline)) uint64_t timed_empty(void) {
  uint64_t t0, t1;
  __asm__ __volatile__("mftb %0\nmftb %1\n" : "=&r"(t0), "=&r"(t1) : : "memory");
  return t1 - t0;
}

static void report(const char *what, uint64_t cycles) {
  qg_puts("atomic ");
  qg_puts(what);
  qg_putc(' ');
  putdec(ROUNDS);
  qg_putc(' ');
  putdec(cycles);
  qg_putc('\n');
}

int main(void) {
  unsigned id = qg_cpu_id();
  if (qg_num_cpus() < 2) {
    if (id == 0) qg_puts("calibrate_atomic: needs --cpus 2\n");
    return 2;
  }
  if (id == 1) {
    for (uint64_t i = 0; i <= ROUNDS; i++) {
      while (ack.v != i) {}
      target.v = target.v + 1000;
      __asm__ __volatile__("sync" ::: "memory");
      flag.v = i + 1;
    }
    return 0;
  }
  if (id != 0) return 0;
  uint64_t empty = 0, local = 0, remote = 0;
  for (unsigned i = 0; i <= ROUNDS; i++) {
    const uint64_t c = timed_empty();
    if (i) empty += c;
  }
  for (unsigned i = 0; i <= ROUNDS; i++) {
    mine.v = i;
    const uint64_t c = timed_inc(&mine.v);
    if (i) local += c;
  }
  for (uint64_t i = 0; i <= ROUNDS; i++) {
    while (flag.v != i + 1) {}
    const uint64_t c = timed_inc(&target.v);
    if (i) remote += c;
    ack.v = i + 1;
  }
  report("empty", empty);
  report("local", local);
  report("remote", remote);
  if (mine.v == ROUNDS + 1 && target.v == (ROUNDS + 1) * 1001) return 0;
  qg_puts("calibrate_atomic: wrong counts ");
  putdec(mine.v);
  qg_putc(' ');
  putdec(target.v);
  qg_putc('\n');
  return 1;
}
