/* Target-independent part of the guest runtime: identical code for both targets,
 * so instruction counts outside [__qg_sys_begin, __qg_sys_end) match. */
#include <quiesce/guest.h>

/* Keep gcc from turning these loops back into calls to themselves. */
#define QG_LIB __attribute__((optimize("no-tree-loop-distribute-patterns")))

void qg_puts(const char *s) {
  while (*s) qg_putc(*s++);
}

void qg_puthex(uint64_t v) {
  for (int shift = 60; shift >= 0; shift -= 4) qg_putc("0123456789abcdef"[(v >> shift) & 0xf]);
  qg_putc('\n');
}

QG_LIB void *memcpy(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  while (n--) *d++ = *s++;
  return dst;
}

QG_LIB void *memmove(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d < s) {
    while (n--) *d++ = *s++;
  } else {
    while (n--) d[n] = s[n];
  }
  return dst;
}

QG_LIB void *memset(void *dst, int c, size_t n) {
  unsigned char *d = dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}

QG_LIB int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (; n; n--, x++, y++)
    if (*x != *y) return *x - *y;
  return 0;
}

QG_LIB size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}
