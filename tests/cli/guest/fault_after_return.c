/* CPU 1 executes an illegal instruction at once; CPU 0 works a little, then returns from main (which
 * would end the run with its status). The fault comes first in simulated time and must be the
 * outcome (exit 3, naming CPU 1), whichever CPU the simulator reaches first. */
#include <quiesce/guest.h>
static volatile unsigned sink;
int main(void) {
  if (qg_cpu_id() == 0) {
    for (unsigned i = 0; i < 50; ++i) sink += i;
    return 0;
  }
  __asm__ volatile(".long 0"); /* an illegal instruction */
  return 0;
}
