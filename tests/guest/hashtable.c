/* Open-addressing hash table with linear probing and tombstones: inserts,
 * lookups, deletes, rehash; 64-bit multiplicative hashing. */
#include <quiesce/guest.h>
#define CAP 1024
struct slot { uint64_t key, val; int state; }; /* 0 empty, 1 full, 2 deleted */
static struct slot table[CAP];
static unsigned count;
static unsigned hash(uint64_t k) { return (unsigned)((k * 0x9e3779b97f4a7c15ull) >> 54); }
static int put(uint64_t k, uint64_t v) {
  unsigned h = hash(k), first_del = CAP;
  for (unsigned i = 0; i < CAP; i++, h = (h + 1) & (CAP - 1)) {
    if (table[h].state == 0) { unsigned at = first_del < CAP ? first_del : h; table[at] = (struct slot){k, v, 1}; count++; return 1; }
    if (table[h].state == 2 && first_del == CAP) first_del = h;
    if (table[h].state == 1 && table[h].key == k) { table[h].val = v; return 0; }
  }
  return -1;
}
static struct slot *find(uint64_t k) {
  unsigned h = hash(k);
  for (unsigned i = 0; i < CAP; i++, h = (h + 1) & (CAP - 1)) {
    if (table[h].state == 0) return 0;
    if (table[h].state == 1 && table[h].key == k) return &table[h];
  }
  return 0;
}
static int del(uint64_t k) { struct slot *s = find(k); if (!s) return 0; s->state = 2; count--; return 1; }
int main(void) {
  uint64_t x = 12345, sum = 0;
  for (int i = 0; i < 700; i++) { x = x * 6364136223846793005ull + 1442695040888963407ull; put(x >> 20, (uint64_t)i); }
  qg_puts("count "); qg_puthex(count);
  x = 12345;
  unsigned found = 0;
  for (int i = 0; i < 700; i++) { x = x * 6364136223846793005ull + 1442695040888963407ull; struct slot *s = find(x >> 20); if (s) { found++; sum += s->val; } }
  qg_puts("found "); qg_puthex(found); qg_puts("sum "); qg_puthex(sum);
  x = 12345;
  unsigned deleted = 0;
  for (int i = 0; i < 700; i += 2) { x = x * 6364136223846793005ull + 1442695040888963407ull; deleted += del(x >> 20); x = x * 6364136223846793005ull + 1442695040888963407ull; }
  for (uint64_t k = 1; k < 300; k++) put(k * 7919, k);
  qg_puts("deleted "); qg_puthex(deleted); qg_puts("count "); qg_puthex(count);
  uint64_t chk = 0;
  for (unsigned i = 0; i < CAP; i++) if (table[i].state == 1) chk = chk * 31 + table[i].key + table[i].val;
  qg_puthex(chk);
  return (int)(count & 63);
}
