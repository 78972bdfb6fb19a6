/* A tokenizer and expression evaluator (recursive descent with precedence),
 * a run-length encoder/decoder, and a base64 round trip. */
#include <quiesce/guest.h>
static const char *p;
static int64_t expr(void);
static int64_t atom(void) {
  while (*p == ' ') p++;
  if (*p == '(') { p++; int64_t v = expr(); while (*p == ' ') p++; p++; return v; }
  if (*p == '-') { p++; return -atom(); }
  int64_t v = 0; while (*p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0'); return v;
}
static int64_t term(void) { int64_t v = atom(); for (;;) { while (*p == ' ') p++; if (*p == '*') { p++; v *= atom(); } else if (*p == '/') { p++; int64_t d = atom(); v = d ? v / d : 0; } else if (*p == '%') { p++; int64_t d = atom(); v = d ? v % d : 0; } else return v; } }
static int64_t expr(void) { int64_t v = term(); for (;;) { while (*p == ' ') p++; if (*p == '+') { p++; v += term(); } else if (*p == '-') { p++; v -= term(); } else return v; } }
static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static int enc(const uint8_t *in, int n, char *out) { int o = 0; for (int i = 0; i < n; i += 3) { uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0); out[o++] = b64[v >> 18]; out[o++] = b64[(v >> 12) & 63]; out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '='; out[o++] = i + 2 < n ? b64[v & 63] : '='; } out[o] = 0; return o; }
static int val(char c) { for (int i = 0; i < 64; i++) if (b64[i] == c) return i; return 0; }
static int dec(const char *in, int n, uint8_t *out) { int o = 0; for (int i = 0; i < n; i += 4) { uint32_t v = (uint32_t)val(in[i]) << 18 | (uint32_t)val(in[i + 1]) << 12 | (uint32_t)val(in[i + 2]) << 6 | (uint32_t)val(in[i + 3]); out[o++] = (uint8_t)(v >> 16); if (in[i + 2] != '=') out[o++] = (uint8_t)(v >> 8); if (in[i + 3] != '=') out[o++] = (uint8_t)v; } return o; }
int main(void) {
  const char *exprs[] = {"1 + 2 * 3", "(1 + 2) * 3", "100 / 7 % 5 - -3", "2*(3+(4*(5+6)))-7", "123456789 * 1000 / 3 - (42 % 5)"};
  int64_t tot = 0;
  for (int i = 0; i < 5; i++) { p = exprs[i]; int64_t v = expr(); qg_puthex((uint64_t)v); tot += v; }
  uint8_t data[200]; for (int i = 0; i < 200; i++) data[i] = (uint8_t)(i * i / 7 + (i > 100 ? 0 : 3));
  uint8_t rle[400]; int rn = 0; for (int i = 0; i < 200;) { int j = i; while (j < 200 && data[j] == data[i] && j - i < 255) j++; rle[rn++] = (uint8_t)(j - i); rle[rn++] = data[i]; i = j; }
  uint8_t back[200]; int bn = 0; for (int i = 0; i < rn; i += 2) for (int k = 0; k < rle[i]; k++) back[bn++] = rle[i + 1];
  qg_puthex((uint64_t)rn); qg_puthex((uint64_t)(bn == 200 && memcmp(back, data, 200) == 0));
  char e[300]; int en = enc(data, 200, e); uint8_t d2[200]; int dn = dec(e, en, d2);
  qg_puts(e + en - 12); qg_putc('\n'); qg_puthex((uint64_t)(dn == 200 && memcmp(d2, data, 200) == 0));
  return (int)(tot % 60);
}
