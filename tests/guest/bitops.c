/* popcount, clz, ctz, parity, bswap (16/32/64), rotates and byte-reversed
 * loads, on 32- and 64-bit values (cntlzw/cntlzd/popcntb/rlwinm/rldicl). */
#include <quiesce/guest.h>
static uint64_t rot64(uint64_t x, unsigned r) { return (x << (r & 63)) | (x >> ((64 - r) & 63)); }
static uint32_t rot32(uint32_t x, unsigned r) { return (x << (r & 31)) | (x >> ((32 - r) & 31)); }
int main(void) {
  uint64_t h = 0, x = 0x123456789abcdef1ull;
  for (int i = 0; i < 2000; i++) {
    x ^= x << 7; x ^= x >> 9;
    uint32_t y = (uint32_t)(x >> 17);
    h = h * 31 + (uint64_t)__builtin_popcountll(x) + (uint64_t)__builtin_popcount(y);
    h = h * 31 + (uint64_t)(x ? __builtin_clzll(x) : 64) + (uint64_t)(y ? __builtin_clz(y) : 32);
    h = h * 31 + (uint64_t)(x ? __builtin_ctzll(x) : 64) + (uint64_t)(y ? __builtin_ctz(y) : 32);
    h = h * 31 + (uint64_t)__builtin_parityll(x) + __builtin_bswap64(x) + __builtin_bswap32(y) + __builtin_bswap16((uint16_t)y);
    h = h * 31 + rot64(x, (unsigned)i) + rot32(y, (unsigned)i * 3);
  }
  qg_puthex(h);
  qg_puthex((uint64_t)__builtin_clzll(1)); qg_puthex((uint64_t)__builtin_ctzll(0x8000000000000000ull));
  qg_puthex(__builtin_bswap64(0x0102030405060708ull)); qg_puthex((uint64_t)__builtin_popcountll(~0ull));
  return (int)(h % 40);
}
