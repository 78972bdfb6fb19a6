/* Exercises: the guest runtime itself — qg_puts/qg_putc/qg_puthex output
 * (every hex digit, 0 and ~0), memcpy/memmove/memset/memcmp/strlen edge
 * cases (zero length, overlap in both directions, bytes above 0x7f compare
 * as unsigned, memset with an int value above 0xff), qg_cpu_id() and
 * qg_num_cpus() on a one-CPU run, and ending the run through qg_exit()
 * from a nested call instead of returning from main. */
#include "check.h"

static uint8_t a[300], b[300];

__attribute__((noinline)) static void leave(int code) {
  qg_puts(check_failures ? "FAILED\n" : "PASSED\n");
  qg_exit(check_failures ? 1 : code);
}

int main(void) {
  qg_puts("hello from the runtime\n");
  qg_puthex(0);
  qg_puthex(~0ull);
  qg_puthex(0x0123456789abcdefull);
  qg_puthex(0xfedcba9876543210ull);
  for (char c = ' '; c <= '~'; c++) qg_putc(c);
  qg_putc('\n');
  qg_puts("");

  expect("cpu-id", 0, qg_cpu_id());
  expect("num-cpus", 1, qg_num_cpus());
  expect("strlen", 22, strlen("hello from the runtime"));
  expect("strlen-empty", 0, strlen(""));

  for (int i = 0; i < 300; i++) a[i] = (uint8_t)(i * 13 + 1);
  expect("memcpy-returns-dst", 1, memcpy(b, a, 300) == b);
  expect("memcpy", 0, (uint64_t)memcmp(a, b, 300));
  expect("memcpy-zero", 1, memcpy(b, a + 1, 0) == b && b[0] == a[0]);
  expect("memcmp-zero", 0, (uint64_t)memcmp(a, a + 1, 0));
  b[150] = 0x80;
  a[150] = 0x7f;
  expect("memcmp-unsigned", 1, memcmp(b, a, 300) > 0 && memcmp(a, b, 300) < 0);
  expect("memset-returns-dst", 1, memset(b, 0x1ff, 10) == b);
  expect("memset-value", 0xff, b[9]);
  expect("memset-stops", 1, b[10] == (uint8_t)(10 * 13 + 1));
  for (int i = 0; i < 300; i++) a[i] = (uint8_t)i;
  memmove(a + 1, a, 200); /* forward overlap: copy from the end */
  unsigned bad = 0;
  for (int i = 1; i <= 200; i++) bad += a[i] != (uint8_t)(i - 1);
  for (int i = 0; i < 300; i++) a[i] = (uint8_t)i;
  memmove(a, a + 7, 250); /* backward overlap */
  for (int i = 0; i < 250; i++) bad += a[i] != (uint8_t)(i + 7);
  expect("memmove-overlap", 0, bad);
  expect("memmove-returns-dst", 1, memmove(a, a, 10) == a);
  uint64_t h = FNV_INIT;
  for (int i = 0; i < 300; i++) h = fnv_mix(h, a[i]);
  expect("memmove-hash", 0x6776251d396b6b31, h);
  /* every length and alignment of a short copy */
  bad = 0;
  for (int len = 0; len < 40; len++)
    for (int off = 0; off < 8; off++) {
      memset(b, 0xee, 64);
      memcpy(b + off, a + 3, (size_t)len);
      for (int i = 0; i < 64; i++) bad += b[i] != (i >= off && i < off + len ? a[3 + i - off] : 0xee);
    }
  expect("memcpy-lengths", 0, bad);
  leave(31);
  return 1; /* not reached */
}
