/* lwarx on an address that is not word aligned must fault. */
#include <quiesce/guest.h>
static char buf[16] __attribute__((aligned(8)));
int main(void) {
  uint32_t v;
  __asm__ volatile("lwarx %0,0,%1" : "=r"(v) : "r"(buf + 2) : "memory");
  return (int)v;
}
