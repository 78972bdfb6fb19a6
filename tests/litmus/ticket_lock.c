/* Ticket lock: take a ticket with a lwarx/stwcx. fetch-and-add on next_ticket,
 * spin until now_serving equals it (then isync), release with lwsync and
 * now_serving = ticket + 1.
 *
 * The run has PHASES phases separated by barriers; in each phase every CPU
 * acquires the lock exactly R times, back to back. Checked:
 *  - mutual exclusion: an "inside" flag is never set on entry, and a
 *    non-atomic counter protected by the lock reaches ncpus * PHASES * R;
 *  - FIFO by ticket: the lock is granted in ticket order, i.e. on entry the
 *    number of grants so far (a counter only the holder touches) equals the
 *    holder's ticket. Each CPU records the tickets it got, and the grant log
 *    (log[ticket] = cpu) must agree with those records.
 *  - fairness, defined as bounded bypass of 1: while CPU d waits (from taking
 *    its ticket to being granted), no other CPU is granted more than once.
 *    A CPU granted during d's wait either held an earlier ticket or takes its
 *    next ticket after d's, so it cannot come back before d. Checked by d
 *    snapshotting every CPU's acquisition count right after taking its ticket
 *    and comparing on entry: each other count may have grown by at most 1 (the
 *    snapshot is read after the ticket is taken, so it can only be larger
 *    than the true count at that moment: the check never fails spuriously).
 *  - at the end of each phase every CPU has exactly (phase+1) * R acquisitions.
 * Not required, only reported ("spread"): the largest difference between two
 * CPUs' acquisition counts seen at any grant. A CPU that is between release
 * and its next fetch-and-add is not waiting, so others may pass it more than
 * once; with every CPU looping back immediately it tends to stay at 1. */
#include "litmus.h"

#ifndef PHASES
#define PHASES 8
#endif
#ifndef R
#define R 8
#endif
#define PER_CPU (PHASES * R)

static volatile uint32_t next_ticket __attribute__((aligned(LIT_LINE)));
static volatile uint32_t now_serving __attribute__((aligned(LIT_LINE)));
static lit_line_t inside, grants, count, violations, fifo_errors, bypass_errors, spread;
static lit_line_t acq[LIT_MAX_CPUS];                  /* acquisitions per CPU, written by the holder */
static uint8_t log_[LIT_MAX_CPUS * PER_CPU];          /* log_[ticket] = cpu */
static uint32_t mine[LIT_MAX_CPUS][PER_CPU];          /* each CPU's tickets, in the order it got them */
static uint64_t snap[LIT_MAX_CPUS][LIT_MAX_CPUS] __attribute__((aligned(LIT_LINE))); /* row d: d's snapshot of acq[] */

static uint32_t take_ticket(void) {
  uint32_t old, t;
  __asm__ __volatile__("1: lwarx %0,0,%3\n\t"
                       "addi %1,%0,1\n\t"
                       "stwcx. %1,0,%3\n\t"
                       "bne- 1b"
                       : "=&r"(old), "=&r"(t), "+m"(next_ticket)
                       : "r"(&next_ticket)
                       : "cr0", "memory");
  return old;
}

int main(void) {
  if (!lit_start("ticket_lock", 1)) return 0;
  unsigned id = qg_cpu_id(), n = qg_num_cpus(), k = 0;
  lit_barrier(id, n);
  for (unsigned ph = 0; ph < PHASES; ph++) {
    for (unsigned i = 0; i < R; i++, k++) {
      uint32_t my = take_ticket();
      for (unsigned c = 0; c < n; c++) snap[id][c] = acq[c].v;
      while (now_serving != my) { }
      lit_isync(); /* acquire (the loop exit branch depends on now_serving) */

      if (inside.v) violations.v++;
      inside.v = 1;
      if (grants.v != my) fifo_errors.v++;
      grants.v = grants.v + 1;
      acq[id].v++;
      uint64_t lo = ~0ull, hi = 0;
      for (unsigned c = 0; c < n; c++) {
        uint64_t v = acq[c].v;
        if (c != id && v > snap[id][c] + 1) bypass_errors.v++;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (hi - lo > spread.v) spread.v = hi - lo;
      log_[my] = (uint8_t)id;
      mine[id][k] = my;
      count.v++;
      inside.v = 0;

      lit_lwsync(); /* release */
      now_serving = my + 1;
    }
    lit_barrier(id, n);
    if (id == 0)
      for (unsigned c = 0; c < n; c++)
        if (acq[c].v != (uint64_t)(ph + 1) * R) violations.v++;
    lit_barrier(id, n);
  }
  if (id != 0) return 0;

  /* the log and the per-CPU records describe the same grants */
  uint64_t log_errors = 0;
  for (unsigned c = 0; c < n; c++)
    for (unsigned j = 0; j < PER_CPU; j++)
      if (mine[c][j] >= n * PER_CPU || log_[mine[c][j]] != c || (j && mine[c][j] <= mine[c][j - 1])) log_errors++;
  uint64_t want = (uint64_t)n * PER_CPU;
  qg_puts("ticket_lock");
  lit_kv("cpus", n);
  lit_kv("per_cpu", PER_CPU);
  lit_kv("count", count.v);
  lit_kv("want", want);
  lit_kv("violations", violations.v);
  lit_kv("fifo_errors", fifo_errors.v);
  lit_kv("bypass_errors", bypass_errors.v);
  lit_kv("log_errors", log_errors);
  lit_kv("spread", spread.v);
  qg_puts(" order=");
  for (unsigned t = 0; t < want && t < 16; t++) {
    if (t) qg_putc(',');
    lit_putdec(log_[t]);
  }
  return lit_verdict(violations.v == 0 && fifo_errors.v == 0 && bypass_errors.v == 0 && log_errors == 0 &&
                     count.v == want && grants.v == want && next_ticket == want);
}
