/* Every CPU takes a ticket with an atomic increment; CPU 0 waits for all,
 * prints the count and the CPU total, then exits with the ticket sum. */
#include <quiesce/guest.h>
static volatile unsigned tickets;
static volatile unsigned done;
static volatile unsigned sum;
int main(void) {
  unsigned id = qg_cpu_id(), n = qg_num_cpus();
  unsigned t = __atomic_fetch_add(&tickets, 1, __ATOMIC_SEQ_CST);
  __atomic_fetch_add(&sum, t, __ATOMIC_SEQ_CST);
  __atomic_fetch_add(&done, 1, __ATOMIC_SEQ_CST);
  if (id != 0) return 0; /* halts this CPU */
  while (done != n) { }
  qg_puts("cpus ");
  qg_puthex(n);
  qg_puts("tickets ");
  qg_puthex(tickets);
  return (int)sum; /* 0+1+...+(n-1) */
}
