/* Exercises: a small interpreter and state machines — a table-driven DFA
 * lexer (state x character-class transition table) that counts identifiers,
 * numbers, operators and comments in a source text; a recursive-descent
 * evaluator for integer expressions with precedence, unary minus and
 * parentheses (C division semantics); a run-length encoder/decoder; and a
 * base64 encode/decode round trip. Byte loads, table lookups, many small
 * data-dependent branches. Model: reference.py statemachine. */
#include "check.h"

/* ---- DFA lexer ---- */
enum { C_SPACE, C_ALPHA, C_DIGIT, C_SLASH, C_STAR, C_OP, C_NL, C_OTHER, NCLASS };
enum { S_START, S_IDENT, S_NUMBER, S_SLASH, S_LINE_COMMENT, S_BLOCK, S_BLOCK_STAR, NSTATE };
static uint8_t cls[256];
static const uint8_t next_state[NSTATE][NCLASS] = {
    /*               SPACE    ALPHA    DIGIT     SLASH           STAR          OP       NL       OTHER */
    [S_START] = {S_START, S_IDENT, S_NUMBER, S_SLASH, S_START, S_START, S_START, S_START},
    [S_IDENT] = {S_START, S_IDENT, S_IDENT, S_SLASH, S_START, S_START, S_START, S_START},
    [S_NUMBER] = {S_START, S_IDENT, S_NUMBER, S_SLASH, S_START, S_START, S_START, S_START},
    [S_SLASH] = {S_START, S_IDENT, S_NUMBER, S_LINE_COMMENT, S_BLOCK, S_START, S_START, S_START},
    [S_LINE_COMMENT] = {S_LINE_COMMENT, S_LINE_COMMENT, S_LINE_COMMENT, S_LINE_COMMENT, S_LINE_COMMENT,
                        S_LINE_COMMENT, S_START, S_LINE_COMMENT},
    [S_BLOCK] = {S_BLOCK, S_BLOCK, S_BLOCK, S_BLOCK, S_BLOCK_STAR, S_BLOCK, S_BLOCK, S_BLOCK},
    [S_BLOCK_STAR] = {S_BLOCK, S_BLOCK, S_BLOCK, S_START, S_BLOCK_STAR, S_BLOCK, S_BLOCK, S_BLOCK},
};
static const char source[] =
    "int main(void) { /* entry */ int x1 = 42 * y + 7; // answer\n"
    "  for (i = 0; i < 100; i++) { total += a[i] / 3 - b2 % 5; }\n"
    "  /* a ** tricky * / comment **/ return x1 == 0x10 ? foo(1, 2) : bar;\n"
    "  // trailing / comment with 123 numbers\n"
    "  z = (p + q) * (r - s) / t; w = -9 + +8 - ~7 & 6 | 5 ^ 4;\n}\n";

static void lex(const char *p, uint64_t counts[4]) {
  unsigned st = S_START;
  for (; *p; p++) {
    unsigned c = cls[(unsigned char)*p], ns = next_state[st][c];
    if (ns == S_IDENT && st != S_IDENT && st != S_NUMBER) counts[0]++;
    if (ns == S_NUMBER && st != S_NUMBER) counts[1]++;
    if (st == S_START && c == C_OP) counts[2]++;
    if ((ns == S_LINE_COMMENT || ns == S_BLOCK) && st == S_SLASH) counts[3]++;
    st = ns;
  }
}

/* ---- expression evaluator ---- */
static const char *ep;
static int64_t expr(void);
static void skip(void) {
  while (*ep == ' ') ep++;
}
static int64_t atom(void) {
  skip();
  if (*ep == '(') {
    ep++;
    int64_t v = expr();
    skip();
    ep++; /* ')' */
    return v;
  }
  if (*ep == '-') {
    ep++;
    return -atom();
  }
  int64_t v = 0;
  while (*ep >= '0' && *ep <= '9') v = v * 10 + (*ep++ - '0');
  return v;
}
static int64_t term(void) {
  int64_t v = atom();
  for (;;) {
    skip();
    char op = *ep;
    if (op != '*' && op != '/' && op != '%') return v;
    ep++;
    int64_t r = atom();
    switch (op) {
      case '*': v *= r; break;
      case '/': v = r ? v / r : 0; break;
      default: v = r ? v % r : 0; break;
    }
  }
}
static int64_t expr(void) {
  int64_t v = term();
  for (;;) {
    skip();
    if (*ep == '+') ep++, v += term();
    else if (*ep == '-') ep++, v -= term();
    else return v;
  }
}

/* ---- base64 ---- */
static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static int enc(const uint8_t *in, int n, char *out) {
  int o = 0;
  for (int i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
    out[o++] = b64[v >> 18];
    out[o++] = b64[(v >> 12) & 63];
    out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < n ? b64[v & 63] : '=';
  }
  out[o] = 0;
  return o;
}
static int val(char c) {
  for (int i = 0; i < 64; i++)
    if (b64[i] == c) return i;
  return 0;
}
static int dec(const char *in, int n, uint8_t *out) {
  int o = 0;
  for (int i = 0; i < n; i += 4) {
    uint32_t v = (uint32_t)val(in[i]) << 18 | (uint32_t)val(in[i + 1]) << 12 | (uint32_t)val(in[i + 2]) << 6 |
                 (uint32_t)val(in[i + 3]);
    out[o++] = (uint8_t)(v >> 16);
    if (in[i + 2] != '=') out[o++] = (uint8_t)(v >> 8);
    if (in[i + 3] != '=') out[o++] = (uint8_t)v;
  }
  return o;
}

int main(void) {
  for (int c = 0; c < 256; c++) {
    cls[c] = C_OTHER;
    if (c == ' ' || c == '\t') cls[c] = C_SPACE;
    else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') cls[c] = C_ALPHA;
    else if (c >= '0' && c <= '9') cls[c] = C_DIGIT;
    else if (c == '/') cls[c] = C_SLASH;
    else if (c == '*') cls[c] = C_STAR;
    else if (c == '\n') cls[c] = C_NL;
    else if (c == '+' || c == '-' || c == '=' || c == '<' || c == '>' || c == '%' || c == '&' || c == '|' ||
             c == '^' || c == '~' || c == '?' || c == ':')
      cls[c] = C_OP;
  }
  uint64_t counts[4] = {0, 0, 0, 0};
  for (int rep = 0; rep < 20; rep++) lex(source, counts);
  expect("lex.identifiers", 0x1f4, counts[0]);
  expect("lex.numbers", 0x12c, counts[1]);
  expect("lex.operators", 0x1f4, counts[2]);
  expect("lex.comments", 0x50, counts[3]);

  static const char *const exprs[] = {
      "1 + 2 * 3", "(1 + 2) * 3", "100 / 7 % 5 - -3", "2*(3+(4*(5+6)))-7", "123456789 * 1000 / 3 - (42 % 5)",
      "-17 / 5", "-17 % 5", "17 / -5", "17 % -5", "((((((1))))))+(((2)))", "9999999999 * 99999 - 1",
      "7 - 3 - 2 - 1", "1000000007 % 97 * -(3 - 10) / 2"};
  uint64_t h = FNV_INIT;
  for (int rep = 0; rep < 30; rep++)
    for (unsigned i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
      ep = exprs[i];
      h = fnv_mix(h, (uint64_t)expr());
    }
  expect("expressions", 0x4316491576803a33, h);
  ep = "2*(3+(4*(5+6)))-7";
  expect("expr.sample", 87, (uint64_t)expr());

  uint8_t data[300];
  for (int i = 0; i < 300; i++) data[i] = (uint8_t)(i * i / 7 + (i > 150 ? 0 : 3));
  uint8_t rle[600], back[300];
  int rn = 0, bn = 0;
  for (int i = 0; i < 300;) {
    int j = i;
    while (j < 300 && data[j] == data[i] && j - i < 255) j++;
    rle[rn++] = (uint8_t)(j - i);
    rle[rn++] = data[i];
    i = j;
  }
  for (int i = 0; i < rn; i += 2)
    for (int k = 0; k < rle[i]; k++) back[bn++] = rle[i + 1];
  expect("rle.bytes", 0x254, (uint64_t)rn);
  expect("rle.roundtrip", 1, bn == 300 && memcmp(back, data, 300) == 0);

  char e[410];
  uint8_t d2[300];
  uint64_t eh = FNV_INIT;
  for (int len = 298; len <= 300; len++) { /* all three padding cases */
    int en = enc(data, len, e);
    int dn = dec(e, en, d2);
    for (int i = 0; i < en; i++) eh = fnv_mix(eh, (uint64_t)(unsigned char)e[i]);
    expect("base64.roundtrip", 1, dn == len && memcmp(d2, data, (size_t)len) == 0);
  }
  expect("base64.text", 0x498726ebcf97d87e, eh);
  qg_puts(e + 388);
  qg_putc('\n');
  return finish(26);
}
