/* String search: naive, KMP and Horspool over a generated text, counting matches
 * of several patterns; strlen/memcmp from the runtime. */
#include <quiesce/guest.h>
static char text[4000];
static int naive(const char *t, int n, const char *p, int m) { int c = 0; for (int i = 0; i + m <= n; i++) if (memcmp(t + i, p, (size_t)m) == 0) c++; return c; }
static int kmp(const char *t, int n, const char *p, int m) {
  int fail[64]; fail[0] = 0;
  for (int i = 1, k = 0; i < m; i++) { while (k && p[i] != p[k]) k = fail[k - 1]; if (p[i] == p[k]) k++; fail[i] = k; }
  int c = 0;
  for (int i = 0, k = 0; i < n; i++) { while (k && t[i] != p[k]) k = fail[k - 1]; if (t[i] == p[k]) k++; if (k == m) { c++; k = fail[k - 1]; } }
  return c;
}
static int horspool(const char *t, int n, const char *p, int m) {
  int shift[256]; for (int i = 0; i < 256; i++) shift[i] = m;
  for (int i = 0; i < m - 1; i++) shift[(unsigned char)p[i]] = m - 1 - i;
  int c = 0;
  for (int i = 0; i + m <= n; i += shift[(unsigned char)t[i + m - 1]]) { int j = m - 1; while (j >= 0 && t[i + j] == p[j]) j--; if (j < 0) c++; }
  return c;
}
int main(void) {
  uint32_t s = 99;
  for (int i = 0; i < (int)sizeof text - 1; i++) { s = s * 1103515245u + 12345u; text[i] = "abcab "[(s >> 16) % 6]; }
  const char *pats[] = {"ab", "abc", "cab", "abcab", "aaa", "b a", "ccc", "abab"};
  int n = (int)strlen(text), total = 0, agree = 1;
  for (unsigned k = 0; k < sizeof pats / sizeof *pats; k++) {
    int m = (int)strlen(pats[k]);
    int a = naive(text, n, pats[k], m), b = kmp(text, n, pats[k], m), c = horspool(text, n, pats[k], m);
    if (a != b || b != c) agree = 0;
    qg_puts(pats[k]); qg_putc(' '); qg_puthex((uint64_t)a);
    total += a;
  }
  qg_puts(agree ? "agree\n" : "DISAGREE\n");
  return total % 100;
}
