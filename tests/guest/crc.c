/* Exercises: checksums over generated buffers — CRC-32 table-driven and
 * bitwise (they must agree), CRC-32C (Castagnoli), CRC-16/CCITT bitwise on
 * 16-bit values, Adler-32 (divwu-based modulo), FNV-1a 64 (mulld) — on byte
 * loads (lbz/lbzu), table lookups (rlwinm index, lwzx) and shifts/xors; the
 * standard check values for "123456789" plus a buffer checked against zlib.
 * Model: reference.py crc. */
#include "check.h"

static uint32_t t32[256], t32c[256];
static uint8_t buf[8192];

static void mk(uint32_t *t, uint32_t poly) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? poly ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
}
static uint32_t crc_tab(const uint32_t *t, const uint8_t *p, size_t n) {
  uint32_t c = ~0u;
  while (n--) c = t[(c ^ *p++) & 0xff] ^ (c >> 8);
  return ~c;
}
static uint32_t crc_bit(const uint8_t *p, size_t n) {
  uint32_t c = ~0u;
  while (n--) {
    c ^= *p++;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & -(c & 1));
  }
  return ~c;
}
static uint16_t crc16_ccitt(const uint8_t *p, size_t n) {
  uint16_t c = 0xffff;
  while (n--) {
    c ^= (uint16_t)(*p++ << 8);
    for (int k = 0; k < 8; k++) c = (uint16_t)(c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1);
  }
  return c;
}
static uint32_t adler(const uint8_t *p, size_t n) {
  uint32_t a = 1, b = 0;
  while (n--) {
    a = (a + *p++) % 65521;
    b = (b + a) % 65521;
  }
  return b << 16 | a;
}
static uint64_t fnv1a(const uint8_t *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  while (n--) {
    h ^= *p++;
    h *= 0x100000001b3ull;
  }
  return h;
}

int main(void) {
  mk(t32, 0xedb88320u);
  mk(t32c, 0x82f63b78u);
  uint32_t s = 1;
  for (size_t i = 0; i < sizeof buf; i++) {
    s = s * 1664525u + 1013904223u;
    buf[i] = (uint8_t)(s >> 24);
  }
  const uint8_t *msg = (const uint8_t *)"123456789";
  size_t n = strlen((const char *)msg);
  expect("crc32.check", 0xcbf43926, crc_tab(t32, msg, n));
  expect("crc32-bitwise.check", 0xcbf43926, crc_bit(msg, n));
  expect("crc32c.check", 0xe3069283, crc_tab(t32c, msg, n));
  expect("crc16.check", 0x29b1, crc16_ccitt(msg, n));
  expect("adler32.check", 0x091e01de, adler(msg, n));
  expect("fnv1a.check", 0x06d5573923c6cdfcull, fnv1a(msg, n));
  expect("crc32.buf", 0xc70ad0e3, crc_tab(t32, buf, sizeof buf));
  expect("crc32-bitwise.buf2k", 0x57107803, crc_bit(buf, 2048));
  expect("crc32.buf2k", 0x57107803, crc_tab(t32, buf, 2048));
  expect("crc32c.buf", 0xe86a40d3, crc_tab(t32c, buf, sizeof buf));
  expect("crc16.buf1k", 0x9f83, crc16_ccitt(buf + 100, 1024));
  expect("adler32.buf", 0xcea3d866, adler(buf, sizeof buf));
  expect("fnv1a.buf", 0x6d837f93db840deb, fnv1a(buf, sizeof buf));
  return finish(16);
}
