/* bench/calibrate: load-to-use latency at each level of the hierarchy, by pointer chase (CPU 0 only).
 *
 * Three chains of NODES nodes, one node per line, each node pointing at the next:
 *   l1   nodes 128 bytes apart, few enough to stay in the L1D: every load hits it;
 *   l2   nodes L2_STRIDE bytes apart (an L1D way), more than the L1D has ways: every
 *        load misses the L1D (all map to one set) and hits the L2;
 *   mem  nodes MEM_STRIDE bytes apart (an L2 way), more than the L2 has ways: every
 *        load misses both and goes to memory.
 * bench/calibrate computes the strides and counts from `quiesce defaults --json`.
 * Each chain is walked (warm-up), then timed with the timebase over SHORT and LONG
 * straight-line runs of dependent loads; the difference over LONG - SHORT loads is
 * the latency of one load, with the timing's own cost cancelled. Prints
 *     chase <level> <short loads> <cycles> <long loads> <cycles>            */
#include <quiesce/guest.h>

#ifndef L2_STRIDE
#define L2_STRIDE 16384
#endif
#ifndef L2_NODES
#define L2_NODES 8
#endif
#ifndef MEM_STRIDE
#define MEM_STRIDE 65536
#endif
#ifndef MEM_NODES
#define MEM_NODES 16
#endif
#define L1_STRIDE 128
#define L1_NODES 16

#define MAX_BYTES (MEM_STRIDE * MEM_NODES > L2_STRIDE * L2_NODES ? MEM_STRIDE * MEM_NODES : L2_STRIDE * L2_NODES)
static char buf[MAX_BYTES] __attribute__((aligned(65536)));
static volatile uintptr_t sink;

static void putdec(uint64_t v) {
  char b[21];
  int i = 20;
  b[i] = 0;
  do { b[--i] = (char)('0' + v % 10); v /= 10; } while (v);
  qg_puts(b + i);
}

static inline uint64_t tb(void) {
  uint64_t t;
  __asm__ __volatile__("mftb %0" : "=r"(t) : : "memory");
  return t;
}

#define L1X p = *(void **)p;
#define L8X L1X L1X L1X L1X L1X L1X L1X L1X
#define L64X L8X L8X L8X L8X L8X L8X L8X L8X
#define SHORT 64
#define LONG 576

static __attribute__((noinline)) void *run_short(void *p) { L64X return p; }
static __attribute__((noinline)) void *run_long(void *p) { L64X L64X L64X L64X L64X L64X L64X L64X L64X return p; }

static void chase(const char *name, uintptr_t stride, unsigned nodes) {
  for (unsigned i = 0; i < nodes; i++) *(void **)(buf + i * stride) = buf + ((i + 1) % nodes) * stride;
  void *p = buf;
  for (unsigned k = 0; k < 4; k++) p = run_short(run_long(p)); /* warm-up: data and code */
  uint64_t t0 = tb();
  p = run_short(p);
  sink = (uintptr_t)p;
  uint64_t t1 = tb();
  p = run_long(p);
  sink = (uintptr_t)p;
  uint64_t t2 = tb();
  qg_puts("chase ");
  qg_puts(name);
  qg_putc(' ');
  putdec(SHORT);
  qg_putc(' ');
  putdec(t1 - t0);
  qg_putc(' ');
  putdec(LONG);
  qg_putc(' ');
  putdec(t2 - t1);
  qg_putc('\n');
}

int main(void) {
  if (qg_cpu_id() != 0) return 0;
  chase("l1", L1_STRIDE, L1_NODES);
  chase("l2", L2_STRIDE, L2_NODES);
  chase("mem", MEM_STRIDE, MEM_NODES);
  return 0;
}
