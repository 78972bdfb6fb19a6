/* Exercises: sorting 32-bit data five ways — quicksort (Hoare partition,
 * recursion on the smaller side), top-down merge sort with a scratch buffer
 * (memcpy), heap sort (sift-down), shell sort on unsigned values, and a
 * stable insertion sort of (key, index) records — checked for order, for
 * agreement with each other, and for stability. Signed and unsigned 32-bit
 * compares, indexed loads/stores, data-dependent branches.
 * Model: reference.py sorts. */
#include "check.h"

#define N 800
static int32_t a[N], b[N], c[N], tmp[N];
static uint32_t d[N];
struct rec { uint16_t key; uint16_t idx; };
static struct rec recs[250];

static uint32_t rs = 2463534242u;
static uint32_t rnd(void) {
  rs ^= rs << 13;
  rs ^= rs >> 17;
  rs ^= rs << 5;
  return rs;
}
static void qs(int32_t *x, int lo, int hi) {
  while (lo < hi) {
    int32_t p = x[lo + (hi - lo) / 2];
    int i = lo, j = hi;
    while (i <= j) {
      while (x[i] < p) i++;
      while (x[j] > p) j--;
      if (i <= j) {
        int32_t t = x[i];
        x[i] = x[j];
        x[j] = t;
        i++;
        j--;
      }
    }
    if (j - lo < hi - i) qs(x, lo, j), lo = i;
    else qs(x, i, hi), hi = j;
  }
}
static void ms(int32_t *x, int n) {
  if (n < 2) return;
  int m = n / 2;
  ms(x, m);
  ms(x + m, n - m);
  int i = 0, j = m, k = 0;
  while (i < m && j < n) tmp[k++] = x[i] <= x[j] ? x[i++] : x[j++];
  while (i < m) tmp[k++] = x[i++];
  while (j < n) tmp[k++] = x[j++];
  memcpy(x, tmp, (size_t)n * sizeof *x);
}
static void sift(int32_t *x, int i, int n) {
  for (;;) {
    int l = 2 * i + 1, m = i;
    if (l < n && x[l] > x[m]) m = l;
    if (l + 1 < n && x[l + 1] > x[m]) m = l + 1;
    if (m == i) return;
    int32_t t = x[i];
    x[i] = x[m];
    x[m] = t;
    i = m;
  }
}
static void hs(int32_t *x, int n) {
  for (int i = n / 2 - 1; i >= 0; i--) sift(x, i, n);
  for (int e = n - 1; e > 0; e--) {
    int32_t t = x[0];
    x[0] = x[e];
    x[e] = t;
    sift(x, 0, e);
  }
}
static void shell(uint32_t *x, int n) {
  for (int g = n / 2; g; g /= 2)
    for (int i = g; i < n; i++) {
      uint32_t v = x[i];
      int j = i;
      while (j >= g && x[j - g] > v) x[j] = x[j - g], j -= g;
      x[j] = v;
    }
}
static void insertion(struct rec *x, int n) {
  for (int i = 1; i < n; i++) {
    struct rec v = x[i];
    int j = i;
    while (j > 0 && x[j - 1].key > v.key) x[j] = x[j - 1], j--;
    x[j] = v;
  }
}

int main(void) {
  for (int i = 0; i < N; i++) a[i] = b[i] = c[i] = (int32_t)(d[i] = rnd());
  qs(a, 0, N - 1);
  ms(b, N);
  hs(c, N);
  shell(d, N);
  unsigned unordered = 0;
  for (int i = 1; i < N; i++) unordered += (a[i - 1] > a[i]) + (d[i - 1] > d[i]);
  expect("unordered", 0, unordered);
  expect("merge==quick", 1, memcmp(a, b, sizeof a) == 0);
  expect("heap==quick", 1, memcmp(a, c, sizeof a) == 0);
  uint64_t h = FNV_INIT, hu = FNV_INIT;
  for (int i = 0; i < N; i++) h = fnv_mix(h, (uint32_t)a[i]), hu = fnv_mix(hu, d[i]);
  expect("signed-order", 0xc4ee82d8a269a703, h);
  expect("unsigned-order", 0x3aea3e996700aa1b, hu);
  expect("min", 0xffffffff802e4048, (uint64_t)(int64_t)a[0]);
  expect("max-unsigned", 0xffa7eb04, d[N - 1]);

  for (int i = 0; i < 250; i++) recs[i].key = (uint16_t)(rnd() % 40), recs[i].idx = (uint16_t)i;
  insertion(recs, 250);
  unsigned unstable = 0;
  uint64_t r = FNV_INIT;
  for (int i = 1; i < 250; i++) {
    unstable += recs[i - 1].key > recs[i].key || (recs[i - 1].key == recs[i].key && recs[i - 1].idx > recs[i].idx);
    r = fnv_mix(r, (uint64_t)recs[i].key << 16 | recs[i].idx);
  }
  expect("stable", 0, unstable);
  expect("records", 0xe4373f8e1533468c, r);
  return finish(25);
}
