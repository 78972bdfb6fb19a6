/* Exercises: indirect calls — a table of binary operations indexed by data,
 * callbacks with a context pointer, a generic insertion sort driven by
 * comparator pointers (qsort style), vtable-like structs of function
 * pointers, a function returning a function pointer, and a dispatch table of
 * state handlers. Under ELFv1 each indirect call loads a function descriptor
 * (entry, TOC, environment) and saves/restores r2 around bctrl; under ELFv2 it
 * goes through r12/CTR. Model: reference.py funcptr. */
#include "check.h"

typedef int64_t (*binop)(int64_t, int64_t);
static int64_t op_add(int64_t a, int64_t b) { return a + b; }
static int64_t op_sub(int64_t a, int64_t b) { return a - b; }
static int64_t op_mul(int64_t a, int64_t b) { return a * b; }
static int64_t op_max(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t op_xor(int64_t a, int64_t b) { return a ^ b; }
static int64_t op_shl(int64_t a, int64_t b) { return (int64_t)((uint64_t)a << (b & 15)); }
static const binop ops[] = {op_add, op_sub, op_mul, op_max, op_xor, op_shl};

struct shape_ops {
  int64_t (*area)(const void *);
  int64_t (*perim)(const void *);
};
struct rect { const struct shape_ops *ops; int64_t w, h; };
struct sq { const struct shape_ops *ops; int64_t s; };
static int64_t r_area(const void *p) { const struct rect *r = p; return r->w * r->h; }
static int64_t r_perim(const void *p) { const struct rect *r = p; return 2 * (r->w + r->h); }
static int64_t s_area(const void *p) { const struct sq *s = p; return s->s * s->s; }
static int64_t s_perim(const void *p) { const struct sq *s = p; return 4 * s->s; }
static const struct shape_ops rect_ops = {r_area, r_perim}, sq_ops = {s_area, s_perim};

static void gsort(void *base, int n, size_t sz, int (*cmp)(const void *, const void *)) {
  char *b = base, t[16];
  for (int i = 1; i < n; i++) {
    int j = i;
    memcpy(t, b + j * sz, sz);
    while (j > 0 && cmp(b + (j - 1) * sz, t) > 0) {
      memcpy(b + j * sz, b + (j - 1) * sz, sz);
      j--;
    }
    memcpy(b + j * sz, t, sz);
  }
}
static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}
static int cmp_u16_desc(const void *a, const void *b) {
  uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
  return (y > x) - (y < x);
}
static void each(int n, void (*f)(int, void *), void *ctx) {
  for (int i = 0; i < n; i++) f(i, ctx);
}
static void sum_squares(int i, void *ctx) { *(int64_t *)ctx += (int64_t)i * i; }
static void sum_cubes(int i, void *ctx) { *(int64_t *)ctx += (int64_t)i * i * i; }

typedef int (*state_fn)(int);
static int st_even(int x) { return x / 2; }
static int st_odd(int x) { return 3 * x + 1; }
static state_fn pick(int x) { return x & 1 ? st_odd : st_even; }

int main(void) {
  int64_t acc = 7;
  uint64_t h = FNV_INIT;
  for (int i = 0; i < 4000; i++) {
    acc = ops[(unsigned)(acc ^ i) % 6](acc & 0xffff, i + 1);
    h = fnv_mix(h, (uint64_t)acc);
  }
  expect("op-table", 0xa075cd038a832bca, h);

  struct rect r[3] = {{&rect_ops, 3, 4}, {&rect_ops, 10, 2}, {&rect_ops, 7, 7}};
  struct sq s[2] = {{&sq_ops, 5}, {&sq_ops, 9}};
  const void *shapes[5] = {&r[0], &s[0], &r[1], &s[1], &r[2]};
  int64_t ta = 0, tp = 0;
  for (int k = 0; k < 5; k++) {
    const struct shape_ops *o = *(const struct shape_ops *const *)shapes[k];
    ta += o->area(shapes[k]);
    tp += o->perim(shapes[k]);
  }
  expect("vtable.area", 12 + 25 + 20 + 81 + 49, (uint64_t)ta);
  expect("vtable.perimeter", 14 + 20 + 24 + 36 + 28, (uint64_t)tp);

  static int32_t v[160];
  static uint16_t w[160];
  uint32_t x = 5;
  for (int i = 0; i < 160; i++) {
    x = x * 69069u + 1;
    v[i] = (int32_t)x;
    w[i] = (uint16_t)(x >> 7);
  }
  gsort(v, 160, sizeof v[0], cmp_i32);
  gsort(w, 160, sizeof w[0], cmp_u16_desc);
  unsigned order = 0;
  for (int i = 1; i < 160; i++) order += v[i - 1] > v[i], order += w[i - 1] < w[i];
  expect("gsort.unordered", 0, order);
  uint64_t g = FNV_INIT;
  for (int i = 0; i < 160; i++) g = fnv_mix(g, (uint64_t)(int64_t)v[i] ^ (uint64_t)w[i] << 48);
  expect("gsort.hash", 0xeb0f7657f4143149, g);

  int64_t sq = 0, cu = 0;
  each(100, sum_squares, &sq);
  each(100, sum_cubes, &cu);
  expect("callback.squares", 328350, (uint64_t)sq);
  expect("callback.cubes", 24502500, (uint64_t)cu);

  uint64_t steps = 0;
  for (int start = 1; start <= 300; start++)
    for (int n = start; n != 1; n = pick(n)(n)) steps++;
  expect("collatz-steps", 0x3757, steps);
  return finish(18);
}
