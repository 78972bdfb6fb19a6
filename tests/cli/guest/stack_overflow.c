/* One CPU (the last one, or CPU 1 with two or more) recurses without end, 1 KiB of stack per
 * call; the others spin. The stack guard below that CPU's stack must trap it before it
 * writes into the next CPU's stack (or, for the last CPU, the program). */
#include <quiesce/guest.h>
static volatile unsigned sink;
static unsigned deep(unsigned n) {
  volatile char frame[1024];
  frame[0] = (char)n;
  frame[1023] = (char)n;
  return deep(n + 1) + frame[0] + frame[1023];
}
int main(void) {
  unsigned id = qg_cpu_id(), n = qg_num_cpus();
  if (id == (n > 1 ? 1u : 0u)) sink = deep(0);
  for (;;) sink++; /* the others wait: only the trap ends the run */
  return 0;
}
