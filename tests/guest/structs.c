/* Struct copies, arrays of structs, memcpy/memmove with overlap, memset, and
 * struct return by value: exercises the runtime's mem* and gcc's block moves. */
#include <quiesce/guest.h>
struct rec { int32_t id; char name[13]; uint16_t flags; int64_t balance; double pad_as_bits; };
static struct rec recs[64];
static struct rec make(int i) { struct rec r; memset(&r, 0, sizeof r); r.id = i * 3; for (int k = 0; k < 12; k++) r.name[k] = (char)('a' + (i + k) % 26); r.flags = (uint16_t)(i * 77); r.balance = (int64_t)i * -1000003; return r; }
static uint64_t fold(const void *p, size_t n) { const uint8_t *b = p; uint64_t h = 1469598103934665603ull; while (n--) h = (h ^ *b++) * 1099511628211ull; return h; }
int main(void) {
  for (int i = 0; i < 64; i++) recs[i] = make(i);
  struct rec tmp = recs[5]; recs[5] = recs[60]; recs[60] = tmp;
  memmove(&recs[10], &recs[8], 20 * sizeof recs[0]);
  memmove(&recs[40], &recs[42], 10 * sizeof recs[0]);
  char buf[300]; for (int i = 0; i < 300; i++) buf[i] = (char)i;
  memmove(buf + 3, buf, 250); memmove(buf, buf + 7, 200); memset(buf + 100, 0x5a, 33);
  qg_puthex(fold(recs, sizeof recs)); qg_puthex(fold(buf, sizeof buf));
  qg_puthex(sizeof(struct rec)); qg_puthex((uint64_t)memcmp(&recs[1], &recs[2], sizeof recs[0]) < 0x80000000u);
  qg_puts(recs[3].name); qg_putc('\n');
  return recs[9].id % 64;
}
