/* Every CPU spins for ever: only a limit (--timeout, --max-instructions) ends the run. */
#include <quiesce/guest.h>
static volatile unsigned sink;
int main(void) {
  for (;;) sink++;
  return 0;
}
