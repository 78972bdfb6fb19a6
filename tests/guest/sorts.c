/* Quicksort, merge sort, heap sort and shell sort on the same pseudo-random
 * data (signed and unsigned), checked against each other. */
#include <quiesce/guest.h>
#define N 1500
static int32_t a[N], b[N], c[N], d[N], tmp[N];
static uint32_t rs = 2463534242u;
static uint32_t rnd(void) { rs ^= rs << 13; rs ^= rs >> 17; rs ^= rs << 5; return rs; }
static void qs(int32_t *x, int lo, int hi) {
  while (lo < hi) {
    int32_t p = x[(lo + hi) / 2]; int i = lo, j = hi;
    while (i <= j) { while (x[i] < p) i++; while (x[j] > p) j--; if (i <= j) { int32_t t = x[i]; x[i] = x[j]; x[j] = t; i++; j--; } }
    if (j - lo < hi - i) { qs(x, lo, j); lo = i; } else { qs(x, i, hi); hi = j; }
  }
}
static void ms(int32_t *x, int n) {
  if (n < 2) return;
  int m = n / 2; ms(x, m); ms(x + m, n - m);
  int i = 0, j = m, k = 0;
  while (i < m && j < n) tmp[k++] = x[i] <= x[j] ? x[i++] : x[j++];
  while (i < m) tmp[k++] = x[i++];
  while (j < n) tmp[k++] = x[j++];
  memcpy(x, tmp, (size_t)n * sizeof *x);
}
static void sift(int32_t *x, int i, int n) {
  for (;;) { int l = 2 * i + 1, m = i; if (l < n && x[l] > x[m]) m = l; if (l + 1 < n && x[l + 1] > x[m]) m = l + 1; if (m == i) return; int32_t t = x[i]; x[i] = x[m]; x[m] = t; i = m; }
}
static void hs(int32_t *x, int n) { for (int i = n / 2 - 1; i >= 0; i--) sift(x, i, n); for (int e = n - 1; e > 0; e--) { int32_t t = x[0]; x[0] = x[e]; x[e] = t; sift(x, 0, e); } }
static void shell(uint32_t *x, int n) { for (int g = n / 2; g; g /= 2) for (int i = g; i < n; i++) { uint32_t v = x[i]; int j = i; while (j >= g && x[j - g] > v) { x[j] = x[j - g]; j -= g; } x[j] = v; } }
int main(void) {
  for (int i = 0; i < N; i++) a[i] = b[i] = c[i] = d[i] = (int32_t)rnd();
  qs(a, 0, N - 1); ms(b, N); hs(c, N); shell((uint32_t *)d, N);
  int same = memcmp(a, b, sizeof a) == 0 && memcmp(b, c, sizeof b) == 0;
  uint64_t h = 0, hu = 0;
  for (int i = 0; i < N; i++) { h = h * 1000003 + (uint32_t)a[i]; hu = hu * 1000003 + (uint32_t)d[i]; }
  qg_puts(same ? "agree\n" : "DISAGREE\n"); qg_puthex(h); qg_puthex(hu);
  qg_puthex((uint64_t)(int64_t)a[0]); qg_puthex((uint64_t)(uint32_t)d[N - 1]);
  return same ? 5 : 1;
}
