/* Division and shift edge cases: signed division of negatives (truncation
 * toward zero), modulo signs, unsigned division by large divisors, 32- and
 * 64-bit shifts by 0/1/31/32/63, arithmetic right shifts of negatives. */
#include <quiesce/guest.h>
static volatile int32_t vs32[] = {-7, 7, -2147483647, 2147483647, -1, 0, 100, -100, -2147483647 - 1};
static volatile uint32_t vu32[] = {0u, 1u, 7u, 0x80000000u, 0xffffffffu, 0xfffffffeu, 12345678u};
static volatile int64_t vs64[] = {-7, 7, -9223372036854775807ll, 9223372036854775807ll, -1, 1000000007, -1000000007};
static volatile uint64_t vu64[] = {1, 3, 0x8000000000000000ull, 0xffffffffffffffffull, 0x100000000ull, 0xfffffffffull};
static volatile unsigned sh[] = {0, 1, 31, 32, 33, 63};
int main(void) {
  uint64_t h = 0;
#define MIX(v) (h = h * 0x9e3779b97f4a7c15ull + (uint64_t)(v))
  for (unsigned i = 0; i < 9; i++) for (unsigned j = 0; j < 9; j++) {
    int32_t a = vs32[i], b = vs32[j];
    if (b == 0 || (a == -2147483647 - 1 && b == -1)) continue;
    MIX(a / b); MIX(a % b);
  }
  for (unsigned i = 0; i < 7; i++) for (unsigned j = 1; j < 7; j++) { MIX(vu32[i] / vu32[j]); MIX(vu32[i] % vu32[j]); }
  for (unsigned i = 0; i < 7; i++) for (unsigned j = 0; j < 7; j++) { int64_t a = vs64[i], b = vs64[j]; if (a == (-9223372036854775807ll - 1) && b == -1) continue; MIX(a / b); MIX(a % b); }
  for (unsigned i = 0; i < 6; i++) for (unsigned j = 0; j < 6; j++) { MIX(vu64[i] / vu64[j]); MIX(vu64[i] % vu64[j]); }
  qg_puthex(h);
  uint64_t g = 0;
  for (unsigned i = 0; i < 6; i++) {
    unsigned s = sh[i];
    for (unsigned k = 0; k < 7; k++) {
      int64_t x = vs64[k]; uint64_t u = vu64[k % 6];
      g = g * 31 + (uint64_t)(x >> s) + (u >> s) + (u << s);
      if (s < 32) { int32_t y = vs32[k]; uint32_t w = vu32[k]; g = g * 31 + (uint64_t)(int64_t)(y >> s) + (w >> s) + (uint32_t)(w << s); }
    }
  }
  qg_puthex(g);
  qg_puthex((uint64_t)(-7 / 2)); qg_puthex((uint64_t)(-7 % 2)); qg_puthex((uint64_t)(int64_t)(vs32[0] >> 1));
  return (int)(h % 50);
}
