/* Store buffering with sync (SB+syncs).
 *
 * CPUs pair up (2p, 2p+1; an odd last CPU only joins the barriers). Each round
 * both CPUs of a pair store this round's number to their own variable (x or
 * y, different lines), sync, and load the other one's. A load "saw the new
 * value" when it returns this round's number, "old" when it returns the
 * previous round's. Forbidden: both old (each load performed before the other
 * CPU's store became visible, which sync rules out). Values are fresh per
 * round, so nothing needs resetting; the even CPU classifies the pair's
 * outcome after a second barrier. */
#include "litmus.h"

#ifndef ROUNDS
#define ROUNDS 1000
#endif

static lit_line_t var[LIT_MAX_CPUS], obs[LIT_MAX_CPUS];
/* outcome counts per pair: [old,old] [old,new] [new,old] [new,new]; plus values that are neither */
static lit_line_t outcome[LIT_MAX_CPUS / 2][4], bogus[LIT_MAX_CPUS / 2];

int main(void) {
  if (!lit_start("sb_sync", 2)) return 0;
  unsigned id = qg_cpu_id(), n = qg_num_cpus();
  int paired = id + 1 < n || (id & 1);
  unsigned other = id ^ 1, p = id / 2;
  uint64_t rng = 0x9e3779b97f4a7c15ull * (id + 1);
  for (unsigned r = 0; r < ROUNDS; r++) {
    lit_barrier(id, n);
    if (paired) {
      lit_delay(lit_rand(&rng) % 16);
      var[id].v = r + 1;
      lit_sync();
      obs[id].v = var[other].v;
    }
    lit_barrier(id, n);
    if (paired && !(id & 1)) {
      uint64_t a = obs[id].v, b = obs[other].v;
      if ((a != r && a != r + 1) || (b != r && b != r + 1)) bogus[p].v++;
      else outcome[p][(a == r + 1) * 2 + (b == r + 1)].v++;
    }
  }
  lit_barrier(id, n);
  if (id != 0) return 0;
  uint64_t o[4] = {0, 0, 0, 0}, bad = 0;
  for (unsigned i = 0; i < n / 2; i++) {
    for (unsigned k = 0; k < 4; k++) o[k] += outcome[i][k].v;
    bad += bogus[i].v;
  }
  qg_puts("sb_sync");
  lit_kv("cpus", n);
  lit_kv("pairs", n / 2);
  lit_kv("rounds", ROUNDS);
  lit_kv("old_old", o[0]);
  lit_kv("old_new", o[1]);
  lit_kv("new_old", o[2]);
  lit_kv("new_new", o[3]);
  lit_kv("bogus", bad);
  return lit_verdict(o[0] == 0 && bad == 0 && o[1] + o[2] + o[3] == (uint64_t)(n / 2) * ROUNDS);
}
