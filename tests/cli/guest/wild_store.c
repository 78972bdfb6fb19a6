/* A store far outside guest memory must fault with the address in the report. */
#include <quiesce/guest.h>
int main(void) {
  volatile uint64_t *p = (volatile uint64_t *)0x0000123400000000ull;
  *p = 42;
  return 0;
}
