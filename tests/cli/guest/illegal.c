/* Executes an illegal instruction word inside a named function. */
#include <quiesce/guest.h>
__attribute__((noinline)) void do_illegal(void) { __asm__ volatile(".long 0x00000000"); }
int main(void) { qg_puts("before\n"); do_illegal(); qg_puts("after\n"); return 0; }
