/* qg_exit on a CPU other than 0 ends the whole run with its code. */
#include <quiesce/guest.h>
int main(void) {
  if (qg_cpu_id() == qg_num_cpus() - 1) qg_exit(40 + (int)qg_cpu_id());
  for (;;) { }
}
