/* Exercises: structure copies and the runtime's mem* functions — struct
 * assignment (inline ld/std sequences or memcpy calls, by size), structs
 * passed and returned by value (small ones in registers under ELFv2, via a
 * hidden pointer under ELFv1; large ones always in memory), arrays of
 * structs with padding, memmove with forward and backward overlap checked
 * against a copy through a scratch buffer, memset of sub-ranges, memcmp
 * ordering, and a struct of nested structs and unions.
 * Model: reference.py structs. */
#include "check.h"

struct rec {
  int32_t id;
  char name[13];
  uint16_t flags;
  int64_t balance;
  uint8_t tail[5];
};
struct pair { int32_t x, y; };       /* 8 bytes */
struct quad { int64_t a, b, c, d; }; /* 32 bytes */
struct big { struct pair p[6]; struct quad q; union { uint64_t u; uint8_t b[8]; } un; char tag; };

static struct rec recs[64];

static struct rec make(int i) {
  struct rec r;
  memset(&r, 0, sizeof r);
  r.id = i * 3;
  for (int k = 0; k < 12; k++) r.name[k] = (char)('a' + (i + k) % 26);
  r.flags = (uint16_t)(i * 77);
  r.balance = (int64_t)i * -1000003;
  for (int k = 0; k < 5; k++) r.tail[k] = (uint8_t)(i ^ k);
  return r;
}
__attribute__((noinline)) static struct pair swap_pair(struct pair p) { return (struct pair){p.y, p.x}; }
__attribute__((noinline)) static struct quad rotate(struct quad q, int64_t k) {
  return (struct quad){q.b + k, q.c - k, q.d ^ k, q.a};
}
__attribute__((noinline)) static struct big build(struct pair seed, struct quad q) {
  struct big b;
  memset(&b, 0, sizeof b);
  for (int i = 0; i < 6; i++) b.p[i] = (struct pair){seed.x + i, seed.y - i};
  b.q = q;
  b.un.u = 0x0102030405060708ull;
  b.tag = 'B';
  return b;
}
static uint64_t fold(const void *p, size_t n) {
  const uint8_t *b = p;
  uint64_t h = FNV_INIT;
  while (n--) h = fnv_mix(h, *b++);
  return h;
}
/* Field by field: padding bytes are not guaranteed to survive struct copies. */
static uint64_t fold_rec(const struct rec *r, int n) {
  uint64_t h = FNV_INIT;
  for (int i = 0; i < n; i++, r++) {
    h = fnv_mix(h, (uint64_t)(int64_t)r->id);
    h = fnv_mix(h, fold(r->name, sizeof r->name));
    h = fnv_mix(h, r->flags);
    h = fnv_mix(h, (uint64_t)r->balance);
    h = fnv_mix(h, fold(r->tail, sizeof r->tail));
  }
  return h;
}
static uint64_t fold_big(const struct big *b) {
  uint64_t h = fold(b->p, sizeof b->p);
  h = fnv_mix(h, fold(&b->q, sizeof b->q));
  h = fnv_mix(h, b->un.u);
  return fnv_mix(h, (uint64_t)b->tag);
}
static uint8_t buf[512], ref[512], scratch[512];
static void fill(void) {
  for (int i = 0; i < 512; i++) buf[i] = ref[i] = (uint8_t)(i * 7 + 3);
}
static void ref_move(uint8_t *dst, const uint8_t *src, size_t n) {
  for (size_t i = 0; i < n; i++) scratch[i] = src[i];
  for (size_t i = 0; i < n; i++) dst[i] = scratch[i];
}

int main(void) {
  for (int i = 0; i < 64; i++) recs[i] = make(i);
  struct rec tmp = recs[5];
  recs[5] = recs[60];
  recs[60] = tmp;
  memmove(&recs[10], &recs[8], 20 * sizeof recs[0]);
  memmove(&recs[40], &recs[42], 10 * sizeof recs[0]);
  expect("sizeof.rec", 0x28, sizeof(struct rec));
  expect("records", 0xad53eac418171ffd, fold_rec(recs, 64));
  expect("recs[12].id", 30, (uint64_t)recs[12].id);
  expect("recs[60].id", 15, (uint64_t)recs[60].id);
  expect("memcmp-sign", 1, memcmp(&recs[1], &recs[2], sizeof recs[0]) < 0 && memcmp(&recs[2], &recs[1], 4) > 0);
  qg_puts(recs[3].name);
  qg_putc('\n');

  unsigned bad = 0;
  uint64_t h = FNV_INIT;
  for (int round = 0; round < 40; round++) {
    size_t off = (size_t)(round * 37) % 200, len = 50 + (size_t)(round * 53) % 250;
    size_t to = round & 1 ? off + 1 + (size_t)round % 9 : (off > 20 ? off - 1 - (size_t)round % 20 : off + 3);
    fill();
    memmove(buf + to, buf + off, len);
    ref_move(ref + to, ref + off, len);
    bad += memcmp(buf, ref, sizeof buf) != 0;
    memset(buf + off, round, len / 3);
    memset(ref + off, round, len / 3);
    bad += memcmp(buf, ref, sizeof buf) != 0;
    h = fnv_mix(h, fold(buf, sizeof buf));
  }
  expect("memmove-vs-reference", 0, bad);
  expect("buffers", 0x6f2806b6ed50fcfc, h);

  struct pair p = {1, -2};
  struct quad q = {10, 20, 30, 40};
  int64_t acc = 0;
  for (int i = 0; i < 500; i++) {
    p = swap_pair(p);
    p.x += i;
    q = rotate(q, i);
    acc += p.x * 3 + p.y + q.a - q.d;
  }
  expect("by-value", 0x27cb9f2, (uint64_t)acc);
  struct big b = build(p, q), c = b;
  c.p[3].y = 99;
  expect("big.fold", 0xea4c98623af585b4, fold_big(&b));
  expect("big.copy-differs", 1, memcmp(&b.p, &c.p, sizeof b.p) != 0 && b.p[3].y != 99 && fold_big(&c) != fold_big(&b));
  expect("union.byte3", 4, b.un.b[3]);
  expect("sizeof.big", 0x60, sizeof(struct big));
  return finish(28);
}
