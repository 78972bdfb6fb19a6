/* Exercises: the calling convention — variadic functions (va_start/va_arg/
 * va_copy walking the parameter save area: ELFv1 always allocates it, ELFv2
 * only for variadic or many-argument calls), calls with more than eight
 * integer arguments (the rest passed on the stack), mixed int/long/pointer/
 * struct arguments, and a small printf-like formatter (%d %i %u %x %lx %ld
 * %lu %s %c %% with widths, zero padding and '-' alignment) whose decimal
 * conversion divides by 10 (mulhdu magic). Every formatted line is compared
 * with its expected text. */
#include <stdarg.h>
#include "check.h"

static char out[256];
static int outn;
static void put(char c) {
  if (outn < (int)sizeof out - 1) out[outn++] = c;
}

static void fmt_uint(uint64_t v, unsigned base, int width, char pad) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  for (int i = n; i < width; i++) put(pad);
  while (n) put(tmp[--n]);
}

static int vformat(const char *f, va_list ap) {
  outn = 0;
  for (; *f; f++) {
    if (*f != '%') {
      put(*f);
      continue;
    }
    f++;
    int left = 0, width = 0, is_long = 0;
    char pad = ' ';
    if (*f == '-') left = 1, f++;
    if (*f == '0') pad = '0', f++;
    while (*f >= '0' && *f <= '9') width = width * 10 + (*f++ - '0');
    if (*f == 'l') is_long = 1, f++;
    int start = outn;
    switch (*f) {
      case 'd': case 'i': {
        int64_t v = is_long ? va_arg(ap, long) : va_arg(ap, int);
        uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
        if (v < 0) {
          if (pad == '0') put('-'), width--;
          else {
            int digits = 1;
            for (uint64_t t = mag; t >= 10; t /= 10) digits++;
            if (!left)
              for (int i = digits + 1; i < width; i++) put(' ');
            put('-');
            width = 0;
          }
        }
        fmt_uint(mag, 10, left ? 0 : width, pad);
        break;
      }
      case 'u': fmt_uint(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, left ? 0 : width, pad); break;
      case 'x': fmt_uint(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, left ? 0 : width, pad); break;
      case 'c': put((char)va_arg(ap, int)); break;
      case 's': {
        const char *s = va_arg(ap, const char *);
        int len = (int)strlen(s);
        if (!left)
          for (int i = len; i < width; i++) put(' ');
        while (*s) put(*s++);
        break;
      }
      case '%': put('%'); break;
      default: put('?'); break;
    }
    if (left)
      for (int k = outn - start; k < width; k++) put(' ');
  }
  out[outn] = 0;
  return outn;
}

static int format(const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  int n = vformat(f, ap);
  va_end(ap);
  return n;
}

static unsigned mismatches;
static void line(const char *want) {
  qg_puts(out);
  qg_putc('\n');
  if (strlen(want) != (size_t)outn || memcmp(out, want, (size_t)outn) != 0) {
    mismatches++;
    qg_puts("FAIL expected: ");
    qg_puts(want);
    qg_putc('\n');
  }
}

/* variadic sum with va_copy: sums twice, the second time from the copy */
static int64_t sum_twice(int n, ...) {
  va_list ap, cp;
  va_start(ap, n);
  va_copy(cp, ap);
  int64_t s = 0;
  for (int i = 0; i < n; i++) s += va_arg(ap, int64_t);
  for (int i = 0; i < n; i++) s -= 2 * va_arg(cp, int64_t);
  va_end(cp);
  va_end(ap);
  return -s;
}

struct small { int16_t a; int8_t b; };
struct mid { int64_t x, y; };
__attribute__((noinline)) static int64_t many(int a1, long a2, short a3, unsigned char a4, int64_t a5,
                                                struct small s6, uint32_t a7, const char *a8, int64_t a9,
                                                int a10, struct mid m11, long a12, char a13) {
  return a1 + a2 * 2 + a3 * 3 + a4 * 4 + a5 * 5 + (s6.a + s6.b) * 6 + (int64_t)a7 * 7 + a8[0] * 8 + a9 * 9 +
         a10 * 10 + (m11.x - m11.y) * 11 + a12 * 12 + a13 * 13;
}

int main(void) {
  format("%d|%i|%u|%x", 42, -17, 3000000000u, 0xbeefu);
  line("42|-17|3000000000|beef");
  format("[%5d][%-5d][%05d][%-6s][%6s]", -42, 7, -42, "ab", "xyz");
  line("[  -42][7    ][-0042][ab    ][   xyz]");
  format("%ld %lu %lx", -9223372036854775807L - 1, 18446744073709551615UL, 0x0123456789abcdefUL);
  line("-9223372036854775808 18446744073709551615 123456789abcdef");
  format("%c%c%c 100%% %s", 'a', 'b', 'c', "done");
  line("abc 100% done");
  format("%08x|%-8x|%3u|%010lu", 0xabcu, 0xabcu, 12345u, 987654321UL);
  line("00000abc|abc     |12345|0987654321");

  uint64_t h = FNV_INIT;
  for (int i = 0; i < 300; i++) {
    int n = format("%d:%05u:%x:%ld:%s:%c", i * 37 - 5000, (unsigned)i * i, (unsigned)i * 2654435761u,
                   (long)i * -1000000007L, i & 1 ? "odd" : "even", 'A' + i % 26);
    for (int k = 0; k < n; k++) h = fnv_mix(h, (uint64_t)(unsigned char)out[k]);
  }
  expect("format-loop", 0x97d4a17b02244194, h);
  expect("lines", 0, mismatches);

  expect("sum_twice", 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11 + 12,
         (uint64_t)sum_twice(12, (int64_t)1, (int64_t)2, (int64_t)3, (int64_t)4, (int64_t)5, (int64_t)6,
                             (int64_t)7, (int64_t)8, (int64_t)9, (int64_t)10, (int64_t)11, (int64_t)12));
  int64_t m = 0;
  for (int i = 0; i < 200; i++)
    m += many(i, -i, (short)(i * 3), (unsigned char)i, (int64_t)i << 20, (struct small){(int16_t)-i, 5},
              (uint32_t)i * 1000u, i & 1 ? "x" : "y", -(int64_t)i, i ^ 5, (struct mid){i, 3}, 77, 'c');
  expect("many-args", 0x18531cb1f8, (uint64_t)m);
  return finish(30);
}
