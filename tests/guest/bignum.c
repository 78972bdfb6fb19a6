/* Multi-word arithmetic with carry chains: 1024-bit add, subtract, multiply,
 * and factorial/fibonacci in bignums, so gcc emits addc/adde/subfc/subfe. */
#include <quiesce/guest.h>
#define W 32
typedef struct { uint64_t w[W]; } big;
static void add(big *r, const big *a, const big *b) {
  unsigned __int128 c = 0;
  for (int i = 0; i < W; i++) { c += (unsigned __int128)a->w[i] + b->w[i]; r->w[i] = (uint64_t)c; c >>= 64; }
}
static void add_builtin(big *r, const big *a, const big *b) {
  unsigned long long carry = 0;
  for (int i = 0; i < W; i++) { unsigned long long s; unsigned long long c1 = __builtin_uaddll_overflow(a->w[i], b->w[i], &s); unsigned long long c2 = __builtin_uaddll_overflow(s, carry, &s); r->w[i] = s; carry = c1 | c2; }
}
static int sub(big *r, const big *a, const big *b) {
  uint64_t borrow = 0;
  for (int i = 0; i < W; i++) { uint64_t x = a->w[i], y = b->w[i]; uint64_t d = x - y - borrow; borrow = (x < y) || (x == y && borrow); r->w[i] = d; }
  return (int)borrow;
}
static void mul_small(big *r, const big *a, uint64_t m) {
  unsigned __int128 c = 0;
  for (int i = 0; i < W; i++) { c += (unsigned __int128)a->w[i] * m; r->w[i] = (uint64_t)c; c >>= 64; }
}
static void mul(big *r, const big *a, const big *b) {
  big t = {{0}};
  for (int i = 0; i < W / 2; i++) {
    unsigned __int128 c = 0;
    for (int j = 0; j < W / 2; j++) { c += (unsigned __int128)a->w[i] * b->w[j] + t.w[i + j]; t.w[i + j] = (uint64_t)c; c >>= 64; }
    t.w[i + W / 2] = (uint64_t)c;
  }
  *r = t;
}
static uint64_t fold(const big *a) { uint64_t h = 0; for (int i = 0; i < W; i++) h = (h ^ a->w[i]) * 0x100000001b3ull; return h; }
int main(void) {
  big f = {{1}}, x = {{0}}, y = {{1}}, t, u;
  for (uint64_t i = 2; i <= 150; i++) mul_small(&f, &f, i);
  qg_puts("150! "); qg_puthex(fold(&f)); qg_puthex(f.w[0]); qg_puthex(f.w[5]);
  for (int i = 0; i < 1400; i++) { add(&t, &x, &y); x = y; y = t; }
  qg_puts("fib "); qg_puthex(fold(&y));
  add_builtin(&u, &x, &y);
  add(&t, &x, &y);
  qg_puts(memcmp(&t, &u, sizeof t) == 0 ? "adders agree\n" : "ADDERS DIFFER\n");
  int b1 = sub(&t, &x, &y), b2 = sub(&u, &y, &x);
  qg_puthex((uint64_t)b1); qg_puthex((uint64_t)b2); qg_puthex(fold(&t) ^ fold(&u));
  big m = {{0}}; for (int i = 0; i < W / 2; i++) m.w[i] = ~0ull - (uint64_t)i;
  mul(&t, &m, &m);
  qg_puts("square "); qg_puthex(fold(&t)); qg_puthex(t.w[W - 1]); qg_puthex(t.w[0]);
  return b1 * 2 + b2 + 10;
}
