/* Function pointers: tables of operations, callbacks, a qsort-like generic sort
 * with a comparator, and a vtable-style struct of pointers (indirect calls via CTR). */
#include <quiesce/guest.h>
typedef int64_t (*binop)(int64_t, int64_t);
static int64_t op_add(int64_t a, int64_t b) { return a + b; }
static int64_t op_sub(int64_t a, int64_t b) { return a - b; }
static int64_t op_mul(int64_t a, int64_t b) { return a * b; }
static int64_t op_max(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t op_xor(int64_t a, int64_t b) { return a ^ b; }
static const binop ops[] = {op_add, op_sub, op_mul, op_max, op_xor};
struct shape_ops { int64_t (*area)(const void *); int64_t (*perim)(const void *); };
struct rect { const struct shape_ops *ops; int64_t w, h; };
struct sq { const struct shape_ops *ops; int64_t s; };
static int64_t r_area(const void *p) { const struct rect *r = p; return r->w * r->h; }
static int64_t r_perim(const void *p) { const struct rect *r = p; return 2 * (r->w + r->h); }
static int64_t s_area(const void *p) { const struct sq *s = p; return s->s * s->s; }
static int64_t s_perim(const void *p) { const struct sq *s = p; return 4 * s->s; }
static const struct shape_ops rect_ops = {r_area, r_perim}, sq_ops = {s_area, s_perim};
static void gsort(void *base, int n, size_t sz, int (*cmp)(const void *, const void *)) {
  char *b = base, t[32];
  for (int i = 1; i < n; i++) for (int j = i; j > 0 && cmp(b + (j - 1) * sz, b + j * sz) > 0; j--) {
    memcpy(t, b + j * sz, sz); memcpy(b + j * sz, b + (j - 1) * sz, sz); memcpy(b + (j - 1) * sz, t, sz);
  }
}
static int cmp_i32(const void *a, const void *b) { int32_t x = *(const int32_t *)a, y = *(const int32_t *)b; return (x > y) - (x < y); }
static int cmp_u16_desc(const void *a, const void *b) { uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b; return (y > x) - (y < x); }
static void each(int n, void (*f)(int, void *), void *ctx) { for (int i = 0; i < n; i++) f(i, ctx); }
static void accumulate(int i, void *ctx) { *(int64_t *)ctx += (int64_t)i * i; }
int main(void) {
  int64_t acc = 7;
  for (int i = 0; i < 3000; i++) acc = ops[(unsigned)(acc ^ i) % 5](acc & 0xffff, i + 1);
  qg_puthex((uint64_t)acc);
  struct rect r[3] = {{&rect_ops, 3, 4}, {&rect_ops, 10, 2}, {&rect_ops, 7, 7}};
  struct sq s[2] = {{&sq_ops, 5}, {&sq_ops, 9}};
  const void *shapes[5] = {&r[0], &s[0], &r[1], &s[1], &r[2]};
  int64_t ta = 0, tp = 0;
  for (int k = 0; k < 5; k++) { const struct shape_ops *o = *(const struct shape_ops *const *)shapes[k]; ta += o->area(shapes[k]); tp += o->perim(shapes[k]); }
  qg_puthex((uint64_t)ta); qg_puthex((uint64_t)tp);
  int32_t v[200]; uint16_t w[200]; uint32_t x = 5;
  for (int i = 0; i < 200; i++) { x = x * 69069u + 1; v[i] = (int32_t)x; w[i] = (uint16_t)(x >> 7); }
  gsort(v, 200, sizeof v[0], cmp_i32); gsort(w, 200, sizeof w[0], cmp_u16_desc);
  qg_puthex((uint64_t)(int64_t)v[0]); qg_puthex((uint64_t)(int64_t)v[199]); qg_puthex(w[0]); qg_puthex(w[199]);
  int64_t sq = 0; each(100, accumulate, &sq); qg_puthex((uint64_t)sq);
  return (int)(ta % 50);
}
