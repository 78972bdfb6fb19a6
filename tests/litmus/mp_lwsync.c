/* Message passing (MP+lwsync+isync / MP+lwsync+lwsync).
 *
 * CPUs pair up (2p writes, 2p+1 reads; an odd last CPU only joins the
 * barriers). Each round the writer stores a fresh data value, lwsync, then the
 * round number to the flag (data and flag in different lines); the reader
 * spins until it sees this round's flag, then isync (even rounds) or lwsync
 * (odd rounds), then loads the data. Forbidden: flag seen but the data is an
 * older value. A random delay before the writer's stores shifts the race from
 * round to round; "waited" counts rounds where the reader's first flag load
 * still saw the old value, i.e. the two CPUs really overlapped. */
#include "litmus.h"

#ifndef ROUNDS
#define ROUNDS 1000
#endif

static lit_line_t data[LIT_MAX_CPUS / 2], flag[LIT_MAX_CPUS / 2];
static lit_line_t seen[LIT_MAX_CPUS / 2], stale[LIT_MAX_CPUS / 2], waited[LIT_MAX_CPUS / 2];

static inline uint64_t value(unsigned pair, unsigned round) {
  return ((uint64_t)(pair + 1) << 32) | (round + 1);
}

int main(void) {
  if (!lit_start("mp_lwsync", 2)) return 0;
  unsigned id = qg_cpu_id(), n = qg_num_cpus(), p = id / 2;
  int writer = (id & 1) == 0 && id + 1 < n, reader = (id & 1) == 1;
  uint64_t rng = 0x9e3779b97f4a7c15ull * (id + 1);
  for (unsigned r = 0; r < ROUNDS; r++) {
    lit_barrier(id, n);
    if (writer) {
      lit_delay(lit_rand(&rng) % 64);
      data[p].v = value(p, r);
      lit_lwsync();
      flag[p].v = r + 1;
    } else if (reader) {
      if (flag[p].v != r + 1) waited[p].v++;
      while (flag[p].v != r + 1) { }
      /* The loop's exit branch depends on the flag load: isync after it (or
       * lwsync) keeps the data load from being performed before the flag load. */
      if (r & 1) lit_lwsync(); else lit_isync();
      uint64_t d = data[p].v;
      seen[p].v++;
      if (d != value(p, r)) stale[p].v++;
    }
  }
  lit_barrier(id, n);
  if (id != 0) return 0;
  uint64_t s = 0, st = 0, w = 0;
  for (unsigned i = 0; i < n / 2; i++) s += seen[i].v, st += stale[i].v, w += waited[i].v;
  qg_puts("mp_lwsync");
  lit_kv("cpus", n);
  lit_kv("pairs", n / 2);
  lit_kv("rounds", ROUNDS);
  lit_kv("flag_seen", s);
  lit_kv("waited", w);
  lit_kv("stale", st);
  return lit_verdict(st == 0 && s == (uint64_t)(n / 2) * ROUNDS);
}
