/* Exercises: string search — naive (memcmp at every position), Knuth-
 * Morris-Pratt (failure function) and Boyer-Moore-Horspool (bad-character
 * shift table) counting overlapping matches of several patterns in a
 * generated text over a small alphabet; the three must agree. Also strlen,
 * a reverse-search (strrchr-like) scan and a longest-repeated-run scan.
 * Byte loads, indexed table lookups, tight compare loops.
 * Model: reference.py strsearch. */
#include "check.h"

static char text[1500];

static int naive(const char *t, int n, const char *p, int m) {
  int c = 0;
  for (int i = 0; i + m <= n; i++)
    if (memcmp(t + i, p, (size_t)m) == 0) c++;
  return c;
}
static int kmp(const char *t, int n, const char *p, int m) {
  int fail[64];
  fail[0] = 0;
  for (int i = 1, k = 0; i < m; i++) {
    while (k && p[i] != p[k]) k = fail[k - 1];
    if (p[i] == p[k]) k++;
    fail[i] = k;
  }
  int c = 0;
  for (int i = 0, k = 0; i < n; i++) {
    while (k && t[i] != p[k]) k = fail[k - 1];
    if (t[i] == p[k]) k++;
    if (k == m) c++, k = fail[k - 1];
  }
  return c;
}
static int horspool(const char *t, int n, const char *p, int m) {
  int shift[256];
  for (int i = 0; i < 256; i++) shift[i] = m;
  for (int i = 0; i < m - 1; i++) shift[(unsigned char)p[i]] = m - 1 - i;
  int c = 0;
  for (int i = 0; i + m <= n; i += shift[(unsigned char)t[i + m - 1]]) {
    int j = m - 1;
    while (j >= 0 && t[i + j] == p[j]) j--;
    if (j < 0) c++;
  }
  return c;
}
static int last_index(const char *t, int n, char ch) {
  for (int i = n - 1; i >= 0; i--)
    if (t[i] == ch) return i;
  return -1;
}

int main(void) {
  uint32_t s = 99;
  for (int i = 0; i < (int)sizeof text - 1; i++) {
    s = s * 1103515245u + 12345u;
    text[i] = "abcab "[(s >> 16) % 6];
  }
  static const char *const pats[] = {"ab", "abc", "cab", "abcab", "aaa", "b a", "ccc", "abab", "a b c", "bb",
                                     "abcabcab", "zzz"};
  int n = (int)strlen(text), disagree = 0;
  expect("length", sizeof text - 1, (uint64_t)n);
  uint64_t h = FNV_INIT;
  for (unsigned k = 0; k < sizeof pats / sizeof pats[0]; k++) {
    int m = (int)strlen(pats[k]);
    int a = naive(text, n, pats[k], m), b = kmp(text, n, pats[k], m), c = horspool(text, n, pats[k], m);
    disagree += a != b || b != c;
    h = fnv_mix(h, (uint64_t)a);
    qg_puts(pats[k]);
    qg_puts(": ");
    qg_puthex((uint64_t)a);
  }
  expect("disagreements", 0, (uint64_t)disagree);
  expect("match-counts", 0x4cad842883c0f0b2, h);
  expect("last-c", 0x5d9, (uint64_t)last_index(text, n, 'c'));
  int best = 0, run = 0;
  for (int i = 0; i < n; i++) {
    run = i && text[i] == text[i - 1] ? run + 1 : 1;
    if (run > best) best = run;
  }
  expect("longest-run", 0x5, (uint64_t)best);
  return finish(27);
}
