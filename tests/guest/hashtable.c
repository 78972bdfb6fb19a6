/* Exercises: an open-addressing hash table (linear probing, tombstones,
 * growth by rehashing into a table twice the size) with 64-bit keys and
 * multiplicative (Fibonacci) hashing: inserts, updates, lookups that hit and
 * miss, deletions, reinsertion over tombstones, and a final walk. Loads and
 * stores of 24-byte slots, mulld and shifts, data-dependent branches.
 * Model: reference.py hashtable. */
#include "check.h"

struct slot {
  uint64_t key, val;
  uint32_t state; /* 0 empty, 1 full, 2 deleted */
};

static struct slot arena[64 + 128 + 256 + 512 + 1024 + 2048];
static size_t arena_used;
static struct slot *table;
static unsigned cap_log2, cap, used, live; /* used counts full and deleted slots */
static uint64_t probes;

static unsigned hash(uint64_t k) { return (unsigned)((k * 0x9e3779b97f4a7c15ull) >> (64 - cap_log2)); }

static void init(unsigned log2) {
  cap_log2 = log2;
  cap = 1u << log2;
  table = &arena[arena_used];
  arena_used += cap;
  used = live = 0;
}

static int put(uint64_t k, uint64_t v);

static void grow(void) {
  struct slot *old = table;
  unsigned old_cap = cap;
  init(cap_log2 + 1);
  for (unsigned i = 0; i < old_cap; i++)
    if (old[i].state == 1) put(old[i].key, old[i].val);
}

static int put(uint64_t k, uint64_t v) { /* 1 inserted, 0 updated */
  if ((used + 1) * 10 > cap * 7) grow();
  unsigned h = hash(k), tomb = cap;
  for (;; h = (h + 1) & (cap - 1)) {
    probes++;
    struct slot *s = &table[h];
    if (s->state == 0) {
      if (tomb < cap) s = &table[tomb];
      else used++;
      s->key = k;
      s->val = v;
      s->state = 1;
      live++;
      return 1;
    }
    if (s->state == 2 && tomb == cap) tomb = h;
    if (s->state == 1 && s->key == k) {
      s->val = v;
      return 0;
    }
  }
}

static struct slot *find(uint64_t k) {
  for (unsigned h = hash(k);; h = (h + 1) & (cap - 1)) {
    probes++;
    if (table[h].state == 0) return 0;
    if (table[h].state == 1 && table[h].key == k) return &table[h];
  }
}

static int del(uint64_t k) {
  struct slot *s = find(k);
  if (!s) return 0;
  s->state = 2;
  live--;
  return 1;
}

static uint64_t lcg(uint64_t x) { return x * 6364136223846793005ull + 1442695040888963407ull; }

int main(void) {
  init(6);
  uint64_t x = 12345;
  unsigned inserted = 0;
  for (int i = 0; i < 1000; i++) {
    x = lcg(x);
    inserted += put(x >> 40, (uint64_t)i); /* 24-bit keys: a few repeat */
  }
  expect("inserted", 0x3e8, inserted);
  expect("capacity", 2048, cap);

  x = 12345;
  unsigned found = 0;
  uint64_t sum = 0;
  for (int i = 0; i < 1000; i++) {
    x = lcg(x);
    struct slot *s = find(x >> 40);
    if (s) found++, sum += s->val;
  }
  expect("found", 1000, found);
  expect("value-sum", 0x79f2c, sum);

  unsigned misses = 0;
  for (uint64_t k = 1u << 24; k < (1u << 24) + 500; k++) misses += find(k) == 0;
  expect("misses", 500, misses);

  x = 12345;
  unsigned deleted = 0;
  for (int i = 0; i < 1000; i++) {
    x = lcg(x);
    if (i % 3 == 0) deleted += del(x >> 40);
  }
  expect("deleted", 0x14e, deleted);
  for (uint64_t k = 1; k < 400; k++) put(k * 7919, k);
  expect("live", 0x429, live);

  uint64_t chk = FNV_INIT;
  unsigned full = 0, tombs = 0;
  for (unsigned i = 0; i < cap; i++) {
    if (table[i].state == 1) full++, chk = fnv_mix(chk, table[i].key * 31 + table[i].val);
    tombs += table[i].state == 2;
  }
  expect("walk.full", live, full);
  expect("walk.hash", 0x8a8daddb47d6fafb, chk);
  expect("tombstones", 0xe2, tombs);
  expect("probes", 0x20af, probes);
  return finish(19);
}
