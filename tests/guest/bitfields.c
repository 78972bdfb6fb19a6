/* Exercises: bit-fields — signed and unsigned, odd widths, fields that
 * straddle 32-bit words, unsigned/signed long long fields of up to 36 bits,
 * read-modify-write (rlwimi/rldimi insertion, rlwinm/rldicl extraction, sign
 * extension by shift pairs or extsb/extsh/extsw), compound assignment that
 * wraps within the field, packed structs with misaligned members and packed
 * bit-fields (byte-wise access), and sizeof/layout of all of them. Every
 * stored value is read back and compared with a shift-and-mask reference. */
#include "check.h"

struct flags {
  unsigned a : 3;
  signed b : 5;
  unsigned c : 12;
  signed d : 7;
  unsigned e : 1;
  unsigned long long f : 36;
  signed long long g : 27;
  unsigned h : 9;
};

struct __attribute__((packed)) pk {
  uint8_t tag;
  uint32_t x;
  uint16_t y;
  uint64_t z;
  int16_t w;
  unsigned bx : 13;
  signed by : 11;
  uint64_t bz : 40;
};

static struct flags fl[64];
static struct pk pks[40];
static unsigned mismatches;

/* reference extraction of the low n bits of v, unsigned and signed */
static uint64_t ubits(uint64_t v, int n) { return v & ((1ull << n) - 1); }
static int64_t sbits(uint64_t v, int n) { return (int64_t)(v << (64 - n)) >> (64 - n); }
static void same(uint64_t got, uint64_t want) { mismatches += got != want; }

static uint32_t seed = 17;
static uint32_t rnd(void) { return seed = seed * 1103515245u + 12345u; }
static uint64_t rnd64(void) {
  uint64_t hi = rnd(); /* sequenced: operand order is unspecified */
  return hi << 32 | rnd();
}

int main(void) {
  uint64_t h = FNV_INIT;
  for (int round = 0; round < 12; round++) {
    for (int i = 0; i < 64; i++) {
      uint64_t r = rnd64();
      struct flags *p = &fl[i];
      p->a = (unsigned)r;
      p->b = (int)(r >> 3);
      p->c = (unsigned)(r >> 8);
      p->d = (int)(r >> 20);
      p->e = (unsigned)(r >> 31);
      p->f = r * 977;
      p->g = -(long long)(r >> 4);
      p->h = (unsigned)(r >> 40);
      same(p->a, ubits(r, 3));
      same((uint64_t)(int64_t)p->b, (uint64_t)sbits(r >> 3, 5));
      same(p->c, ubits(r >> 8, 12));
      same((uint64_t)(int64_t)p->d, (uint64_t)sbits(r >> 20, 7));
      same(p->e, ubits(r >> 31, 1));
      same(p->f, ubits(r * 977, 36));
      same((uint64_t)(int64_t)p->g, (uint64_t)sbits(-(r >> 4), 27));
      same(p->h, ubits(r >> 40, 9));
    }
    for (int i = 0; i < 64; i++) {
      struct flags *p = &fl[i];
      int64_t b0 = p->b, d0 = p->d, g0 = p->g;
      uint64_t c0 = p->c, f0 = p->f, h0 = p->h;
      p->b += 3;
      p->c ^= (unsigned)round * 37;
      p->d -= 5;
      p->f += (unsigned long long)round << 30;
      p->g += round * 1000;
      p->e ^= 1;
      p->h += 500;
      same((uint64_t)(int64_t)p->b, (uint64_t)sbits((uint64_t)(b0 + 3), 5));
      same(p->c, ubits(c0 ^ ((unsigned)round * 37), 12));
      same((uint64_t)(int64_t)p->d, (uint64_t)sbits((uint64_t)(d0 - 5), 7));
      same(p->f, ubits(f0 + ((uint64_t)round << 30), 36));
      same((uint64_t)(int64_t)p->g, (uint64_t)sbits((uint64_t)(g0 + round * 1000), 27));
      same(p->h, ubits(h0 + 500, 9));
      h = fnv_mix(h, p->a + (uint64_t)(int64_t)p->b * 7 + p->c + (uint64_t)(int64_t)p->d + p->e);
      h = fnv_mix(h, p->f ^ (uint64_t)(int64_t)p->g ^ ((uint64_t)p->h << 50));
    }
  }
  expect("flags.mismatches", 0, mismatches);
  expect("flags.hash", 0xd8e58720f298d0db, h);

  uint64_t g = FNV_INIT;
  for (int i = 0; i < 40; i++) {
    struct pk *q = &pks[i];
    uint64_t r = rnd64();
    q->tag = (uint8_t)i;
    q->x = 0xdeadbeefu + (uint32_t)i * 0x01010101u;
    q->y = (uint16_t)(i * 1001);
    q->z = 0x0102030405060708ull * (uint64_t)i ^ r;
    q->w = (int16_t)(-i * 300);
    q->bx = (unsigned)r;
    q->by = (int)(r >> 13);
    q->bz = r >> 7;
    same(q->bx, ubits(r, 13));
    same((uint64_t)(int64_t)q->by, (uint64_t)sbits(r >> 13, 11));
    same(q->bz, ubits(r >> 7, 40));
  }
  for (int k = 0; k < 30; k++)
    for (int i = 0; i < 40; i++) {
      struct pk *q = &pks[i];
      q->x += q->y;
      q->z ^= q->z >> 3;
      q->w = (int16_t)(q->w - 7);
      q->by -= 9;
      q->bz += q->x;
      g = fnv_mix(g, q->tag + (uint64_t)q->x + q->y + q->z + (uint64_t)(int64_t)q->w);
      g = fnv_mix(g, q->bx + (uint64_t)(int64_t)q->by + q->bz);
    }
  expect("packed.mismatches", 0, mismatches);
  expect("packed.hash", 0x720bab7116dd141, g);
  expect("sizeof.pk", 25, sizeof(struct pk));
  expect("sizeof.flags", 0x10, sizeof(struct flags));
  return finish(13);
}
