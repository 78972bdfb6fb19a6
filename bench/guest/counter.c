/* Atomic-increment cost, shared line vs private line, on every CPU.
 *
 * After a start barrier each CPU does N relaxed atomic increments (a
 * ldarx/stdcx. loop) of ONE shared counter, timing its own loop; after another
 * barrier it does the same N increments of its own counter, alone in its
 * 128-byte line. The instruction stream is identical in both phases, so the
 * difference is what the memory system charges for contention on one line
 * (and for stdcx. retries). CPU 0 prints the mean over CPUs of cycles per
 * increment, x 100:
 *     shared <ncpus> <cycles x 100>
 *     private <ncpus> <cycles x 100>
 * and exits 1 when the shared total is not exactly ncpus * N. */
#include "../../tests/litmus/litmus.h"

#ifndef N
#define N 2000
#endif

static lit_line_t shared;
static lit_line_t priv[LIT_MAX_CPUS];
static lit_line_t cyc_shared[LIT_MAX_CPUS], cyc_priv[LIT_MAX_CPUS];

static uint64_t run(volatile uint64_t *c) {
  uint64_t t0 = qg_cycles();
  for (unsigned i = 0; i < N; i++) __atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
  return qg_cycles() - t0;
}

int main(void) {
  if (!lit_start("counter", 1)) return 0;
  unsigned id = qg_cpu_id(), n = qg_num_cpus();
  lit_barrier(id, n);
  cyc_shared[id].v = run(&shared.v);
  lit_barrier(id, n);
  cyc_priv[id].v = run(&priv[id].v);
  lit_barrier(id, n);
  if (id != 0) return 0;
  uint64_t s = 0, p = 0, priv_ok = 1;
  for (unsigned i = 0; i < n; i++) {
    s += cyc_shared[i].v;
    p += cyc_priv[i].v;
    priv_ok &= priv[i].v == N;
  }
  qg_puts("shared ");
  lit_putdec(n);
  qg_putc(' ');
  lit_putdec(s * 100 / ((uint64_t)n * N));
  qg_puts("\nprivate ");
  lit_putdec(n);
  qg_putc(' ');
  lit_putdec(p * 100 / ((uint64_t)n * N));
  qg_putc('\n');
  if (shared.v != (uint64_t)n * N || !priv_ok) {
    qg_puts("counter: wrong total ");
    lit_putdec(shared.v);
    qg_puts(", want ");
    lit_putdec((uint64_t)n * N);
    qg_putc('\n');
    return 1;
  }
  return 0;
}
