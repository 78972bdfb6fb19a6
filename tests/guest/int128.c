/* __int128 arithmetic: multiply, divide and modulo (libgcc), shifts across the
 * 64-bit boundary, signed/unsigned comparisons, and a 128-bit LCG. */
#include <quiesce/guest.h>
typedef unsigned __int128 u128;
typedef __int128 s128;
static void put128(u128 v) { qg_puthex((uint64_t)(v >> 64)); qg_puthex((uint64_t)v); }
int main(void) {
  u128 a = ((u128)0x0123456789abcdefull << 64) | 0xfedcba9876543210ull;
  u128 b = ((u128)0x1ull << 64) | 0x1234567ull;
  put128(a * b); put128(a / b); put128(a % b); put128(a / 7); put128(a % 1000000007ull);
  for (int s = 0; s < 128; s += 31) { put128(a << s); put128(a >> s); }
  s128 n = -(s128)a;
  put128((u128)(n >> 3)); put128((u128)(n / 12345)); put128((u128)(n % 12345));
  qg_puthex(n < 0); qg_puthex((u128)n > a);
  u128 x = 1; uint64_t h = 0;
  for (int i = 0; i < 2000; i++) { x = x * (((u128)0x2360ed051fc65da4ull << 64) | 0x4385df649fccf645ull) + 1442695040888963407ull; h ^= (uint64_t)(x >> 64) + (uint64_t)(x % 97); }
  qg_puthex(h);
  uint64_t p = 0xffffffffffffffc5ull, q = 0xfffffffffffffc2full;
  u128 pq = (u128)p * q;
  put128(pq); qg_puthex((uint64_t)(pq % 0xffffffffull));
  return (int)(h % 64);
}
