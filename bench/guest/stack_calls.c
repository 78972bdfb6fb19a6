/* Stack-bound: a recursive fib(27), 8.5 M instructions, nearly every load and store on CPU 0's boot
 * stack, which has a guard below it. What the guard test costs per access (bench/NOTES.md, issue 26):
 *   tools/guest-cc -O2 -o stack_calls.elf bench/guest/stack_calls.c
 *   valgrind --tool=callgrind build/quiesce exec stack_calls.elf */
#include <quiesce/guest.h>

__attribute__((noinline)) static uint64_t fib(uint64_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(void) {
  qg_puthex(fib(27));
  return 0;
}
