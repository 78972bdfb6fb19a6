/* bench/calibrate: the cost of a barrier instruction with nothing pending (CPU 0 only).
 * For each of sync, lwsync and isync, SHORT and LONG straight-line runs of the barrier
 * are timed with the timebase (after a warm-up run of each); the difference over
 * LONG - SHORT barriers is the cost of one, the timing's own cost cancelled. Prints
 *     barrier <name> <short count> <cycles> <long count> <cycles>               */
#include <quiesce/guest.h>

#define SHORT 8
#define LONG 72

static void putdec(uint64_t v) {
  char b[21];
  int i = 20;
  b[i] = 0;
  do { b[--i] = (char)('0' + v % 10); v /= 10; } while (v);
  qg_puts(b + i);
}

#define X8(i) i "\n" i "\n" i "\n" i "\n" i "\n" i "\n" i "\n" i "\n"
#define X72(i) X8(i) X8(i) X8(i) X8(i) X8(i) X8(i) X8(i) X8(i) X8(i)
#define TIMED(name, body)                                                                      \
  static __attribute__((noinline)) uint64_t name(void) {                                       \
    uint64_t t0, t1;                                                                           \
    __asm__ __volatile__("mftb %0\n" body "mftb %1\n" : "=&r"(t0), "=&r"(t1) : : "memory");    \
    return t1 - t0;                                                                            \
  }
TIMED(sync_short, X8("sync"))
TIMED(sync_long, X72("sync"))
TIMED(lwsync_short, X8("lwsync"))
TIMED(lwsync_long, X72("lwsync"))
TIMED(isync_short, X8("isync"))
TIMED(isync_long, X72("isync"))

static void measure(const char *name, uint64_t (*s)(void), uint64_t (*l)(void)) {
  s(), l(); /* warm-up: the code into the caches */
  const uint64_t a = s(), b = l();
  qg_puts("barrier ");
  qg_puts(name);
  qg_putc(' ');
  putdec(SHORT);
  qg_putc(' ');
  putdec(a);
  qg_putc(' ');
  putdec(LONG);
  qg_putc(' ');
  putdec(b);
  qg_putc('\n');
}

int main(void) {
  if (qg_cpu_id() != 0) return 0;
  measure("sync", sync_short, sync_long);
  measure("lwsync", lwsync_short, lwsync_long);
  measure("isync", isync_short, isync_long);
  return 0;
}
