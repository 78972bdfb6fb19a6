/* CRC-32 (table-driven and bitwise), CRC-32C, Adler-32 and FNV-1a over generated buffers. */
#include <quiesce/guest.h>
static uint32_t t32[256], t32c[256];
static uint8_t buf[8192];
static void mk(uint32_t *t, uint32_t poly) { for (uint32_t i = 0; i < 256; i++) { uint32_t c = i; for (int k = 0; k < 8; k++) c = c & 1 ? poly ^ (c >> 1) : c >> 1; t[i] = c; } }
static uint32_t crc_tab(const uint32_t *t, const uint8_t *p, size_t n) { uint32_t c = ~0u; while (n--) c = t[(c ^ *p++) & 0xff] ^ (c >> 8); return ~c; }
static uint32_t crc_bit(const uint8_t *p, size_t n) { uint32_t c = ~0u; while (n--) { c ^= *p++; for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & -(c & 1)); } return ~c; }
static uint32_t adler(const uint8_t *p, size_t n) { uint32_t a = 1, b = 0; while (n--) { a = (a + *p++) % 65521; b = (b + a) % 65521; } return b << 16 | a; }
static uint64_t fnv(const uint8_t *p, size_t n) { uint64_t h = 0xcbf29ce484222325ull; while (n--) { h ^= *p++; h *= 0x100000001b3ull; } return h; }
int main(void) {
  mk(t32, 0xedb88320u); mk(t32c, 0x82f63b78u);
  uint32_t s = 1;
  for (size_t i = 0; i < sizeof buf; i++) { s = s * 1664525u + 1013904223u; buf[i] = (uint8_t)(s >> 24); }
  const char *msg = "123456789";
  qg_puts("check "); qg_puthex(crc_tab(t32, (const uint8_t *)msg, strlen(msg))); /* cbf43926 */
  qg_puthex(crc_tab(t32c, (const uint8_t *)msg, 9)); /* e3069283 */
  uint32_t a = crc_tab(t32, buf, sizeof buf), b = crc_bit(buf, 2048);
  qg_puthex(a); qg_puthex(b); qg_puthex(crc_tab(t32, buf, 2048) == b);
  qg_puthex(adler(buf, sizeof buf)); qg_puthex(fnv(buf, sizeof buf));
  return (int)(a & 31);
}
