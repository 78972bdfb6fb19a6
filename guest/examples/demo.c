/* The demo: every CPU sums its share of 1..N with a shared atomic counter and
 * reports in turn under a ticket lock built on lwarx/stwcx.; CPU 0 prints the
 * total and how many cycles it took. */
#include <quiesce/guest.h>

#define N 200000u
static volatile unsigned next_ticket, now_serving, finished;
static volatile uint64_t total;

static void lock(void) {
  unsigned my = __atomic_fetch_add(&next_ticket, 1, __ATOMIC_ACQUIRE);
  while (__atomic_load_n(&now_serving, __ATOMIC_ACQUIRE) != my) { }
}
static void unlock(void) { __atomic_store_n(&now_serving, now_serving + 1, __ATOMIC_RELEASE); }

int main(void) {
  unsigned id = qg_cpu_id(), n = qg_num_cpus();
  uint64_t t0 = qg_cycles(), sum = 0;
  for (unsigned i = id + 1; i <= N; i += n) sum += i;
  lock();
  total += sum;
  qg_puts("cpu ");
  qg_putc((char)('0' + id % 10));
  qg_puts(" partial sum ");
  qg_puthex(sum);
  unlock();
  __atomic_fetch_add(&finished, 1, __ATOMIC_RELEASE);
  if (id != 0) return 0;
  while (__atomic_load_n(&finished, __ATOMIC_ACQUIRE) != n) { }
  qg_puts("total ");
  qg_puthex(total);
  qg_puts("cycles on cpu 0 ");
  qg_puthex(qg_cycles() - t0);
  return total == (uint64_t)N * (N + 1) / 2 ? 0 : 1;
}
