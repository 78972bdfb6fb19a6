/* 32- vs 64-bit comparisons and conversions: signed/unsigned, sign and zero
 * extension of char/short/int, mixed-width comparisons, min/max, conditional
 * selects (isel-free at power5), booleans from comparisons. */
#include <quiesce/guest.h>
static volatile int64_t v64[] = {0, 1, -1, 0x7fffffff, 0x80000000ll, -0x80000000ll, 0xffffffffll, 0x100000000ll, -0x100000001ll, 0x7fffffffffffffffll};
int main(void) {
  uint64_t h = 0; const int n = sizeof v64 / sizeof *v64;
  for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
    int64_t a = v64[i], b = v64[j]; int32_t a32 = (int32_t)a, b32 = (int32_t)b;
    unsigned bits = (a < b) | (a > b) << 1 | ((uint64_t)a < (uint64_t)b) << 2 | (a32 < b32) << 3 | ((uint32_t)a32 < (uint32_t)b32) << 4 | (a == b) << 5 | (a32 == b32) << 6 | ((int8_t)a < (int8_t)b) << 7 | ((uint16_t)a < (uint16_t)b) << 8 | ((int16_t)a <= (int16_t)b) << 9;
    h = h * 1009 + bits;
    h = h * 1009 + (uint64_t)(a < b ? a : b) + (uint64_t)(a32 > b32 ? a32 : b32) + (uint64_t)(int64_t)(int8_t)a + (uint64_t)(uint16_t)b + (uint64_t)(int64_t)a32;
  }
  qg_puthex(h);
  int64_t s = 0; for (int i = -1000; i < 1000; i += 7) s += (i < 0) - (i > 500) + (i & 1 ? i : -i);
  qg_puthex((uint64_t)s);
  return (int)(h % 50);
}
