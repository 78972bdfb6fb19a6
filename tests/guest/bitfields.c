/* Bitfields: signed and unsigned fields of odd widths, packed structs with
 * unaligned members, read-modify-write (rlwimi/rldimi), sign extension. */
#include <quiesce/guest.h>
struct flags { unsigned a : 3; signed b : 5; unsigned c : 12; signed d : 7; unsigned e : 1; unsigned long long f : 36; signed long long g : 27; };
struct __attribute__((packed)) pk { uint8_t tag; uint32_t x; uint16_t y; uint64_t z; int16_t w; };
static struct flags fl[50];
static struct pk pks[20];
int main(void) {
  uint64_t h = 0; uint32_t s = 17;
  for (int i = 0; i < 50; i++) {
    s = s * 1103515245u + 12345u;
    fl[i].a = s; fl[i].b = (int)(s >> 3); fl[i].c = s >> 8; fl[i].d = (int)(s >> 20); fl[i].e = s >> 31;
    fl[i].f = (unsigned long long)s * 977; fl[i].g = -(long long)(s >> 4);
  }
  for (int r = 0; r < 20; r++) for (int i = 0; i < 50; i++) { fl[i].b += 3; fl[i].c ^= (unsigned)r * 37; fl[i].d -= 5; fl[i].f += (unsigned long long)r << 30; fl[i].g += r; fl[i].e ^= 1; }
  for (int i = 0; i < 50; i++) h = h * 131 + fl[i].a + (uint64_t)(int64_t)fl[i].b * 7 + fl[i].c + (uint64_t)(int64_t)fl[i].d + fl[i].e + fl[i].f + (uint64_t)(int64_t)fl[i].g;
  qg_puthex(h);
  for (int i = 0; i < 20; i++) { pks[i].tag = (uint8_t)i; pks[i].x = 0xdeadbeefu + (uint32_t)i; pks[i].y = (uint16_t)(i * 1001); pks[i].z = 0x0102030405060708ull * (uint64_t)i; pks[i].w = (int16_t)(-i * 300); }
  uint64_t g = 0;
  for (int i = 0; i < 20; i++) g = g * 31 + pks[i].tag + pks[i].x + pks[i].y + pks[i].z + (uint64_t)(int64_t)pks[i].w;
  qg_puthex(g); qg_puthex(sizeof(struct pk)); qg_puthex(sizeof(struct flags));
  return (int)(h & 31);
}
