/* Exercises: multi-word (2048-bit) unsigned arithmetic with carry and borrow
 * chains. The unsigned __int128 accumulations make gcc emit addc/adde/addze and
 * subfc/subfe (and __builtin_add/sub_overflow the carry-bit equivalents);
 * schoolbook multiplication uses mulld/mulhdu; long division by a 64-bit word
 * calls __udivti3/__umodti3 (libgcc; guest/lib/libgcc_elfv2.c under ELFv2).
 * Workload: 200!, its decimal digits, Fibonacci numbers up to F(1500) with
 * identity checks, 3^1290 by square-and-multiply, and carries/borrows that
 * ripple through every word.
 * Model: reference.py bignum. */
#include "check.h"

#define W 32
typedef unsigned __int128 u128;
typedef struct { uint64_t w[W]; } big;

static void set(big *r, uint64_t v) {
  memset(r, 0, sizeof *r);
  r->w[0] = v;
}

static uint64_t add(big *r, const big *a, const big *b) { /* returns the carry out */
  u128 c = 0;
  for (int i = 0; i < W; i++) {
    c += (u128)a->w[i] + b->w[i];
    r->w[i] = (uint64_t)c;
    c >>= 64;
  }
  return (uint64_t)c;
}

static uint64_t add_ovf(big *r, const big *a, const big *b) {
  uint64_t carry = 0;
  for (int i = 0; i < W; i++) {
    uint64_t s;
    uint64_t c1 = __builtin_add_overflow(a->w[i], b->w[i], &s);
    uint64_t c2 = __builtin_add_overflow(s, carry, &s);
    r->w[i] = s;
    carry = c1 | c2;
  }
  return carry;
}

static uint64_t sub(big *r, const big *a, const big *b) { /* returns the borrow out */
  uint64_t borrow = 0;
  for (int i = 0; i < W; i++) {
    u128 d = (u128)a->w[i] - b->w[i] - borrow;
    r->w[i] = (uint64_t)d;
    borrow = (uint64_t)(d >> 64) & 1;
  }
  return borrow;
}

static uint64_t sub_ovf(big *r, const big *a, const big *b) {
  uint64_t borrow = 0;
  for (int i = 0; i < W; i++) {
    uint64_t d;
    uint64_t b1 = __builtin_sub_overflow(a->w[i], b->w[i], &d);
    uint64_t b2 = __builtin_sub_overflow(d, borrow, &d);
    r->w[i] = d;
    borrow = b1 | b2;
  }
  return borrow;
}

static uint64_t mul1(big *r, const big *a, uint64_t m) { /* returns the word shifted out */
  u128 c = 0;
  for (int i = 0; i < W; i++) {
    c += (u128)a->w[i] * m;
    r->w[i] = (uint64_t)c;
    c >>= 64;
  }
  return (uint64_t)c;
}

static void mul(big *r, const big *a, const big *b) { /* r = a * b mod 2^2048 */
  big t;
  memset(&t, 0, sizeof t);
  for (int i = 0; i < W; i++) {
    if (!a->w[i]) continue;
    u128 c = 0;
    for (int j = 0; i + j < W; j++) {
      c += (u128)a->w[i] * b->w[j] + t.w[i + j];
      t.w[i + j] = (uint64_t)c;
      c >>= 64;
    }
  }
  *r = t;
}

static uint64_t divmod1(big *q, const big *a, uint64_t d) { /* q = a / d, returns a % d */
  uint64_t rem = 0;
  for (int i = W - 1; i >= 0; i--) {
    u128 cur = (u128)rem << 64 | a->w[i];
    q->w[i] = (uint64_t)(cur / d);
    rem = (uint64_t)(cur % d);
  }
  return rem;
}

static int is_zero(const big *a) {
  for (int i = 0; i < W; i++)
    if (a->w[i]) return 0;
  return 1;
}

static unsigned bits(const big *a) {
  for (int i = W - 1; i >= 0; i--)
    if (a->w[i]) return (unsigned)(64 * i + 64 - __builtin_clzll(a->w[i]));
  return 0;
}

static uint64_t fold(const big *a) {
  uint64_t h = FNV_INIT;
  for (int i = 0; i < W; i++) h = fnv_mix(h, a->w[i]);
  return h;
}

static big f, t, u, fib[3], p, x;

int main(void) {
  /* 200! by multiplying by 2..200 */
  set(&f, 1);
  uint64_t lost = 0;
  for (uint64_t i = 2; i <= 200; i++) lost |= mul1(&f, &f, i);
  expect("fact200.fold", 0x4be0305ad5cea545, fold(&f));
  expect("fact200.bits", 0x4de, bits(&f) | lost << 32);
  expect("fact200.w3", 0xb09cb04c48aec2a0, f.w[3]);

  /* its decimal digits, 18 at a time */
  t = f;
  uint64_t digits = 0, digit_sum = 0, chunks = 0;
  while (!is_zero(&t)) {
    uint64_t r = divmod1(&t, &t, 1000000000000000000ull);
    chunks++;
    for (int k = 0; k < 18 && (r || !is_zero(&t)); k++) {
      digit_sum += r % 10;
      r /= 10;
      digits++;
    }
  }
  expect("fact200.digits", 0x177, digits);
  expect("fact200.digit-sum", 0x57c, digit_sum);
  expect("fact200.chunks", 0x15, chunks);

  /* Fibonacci in three rotating buffers */
  set(&fib[0], 0);
  set(&fib[1], 1);
  for (int n = 2; n <= 1500; n++) add(&fib[n % 3], &fib[(n - 1) % 3], &fib[(n - 2) % 3]);
  big *f1500 = &fib[1500 % 3], *f1499 = &fib[1499 % 3], *f1498 = &fib[1498 % 3];
  expect("fib1500.fold", 0x5eecc3989b073646, fold(f1500));
  expect("fib1500.bits", 0x411, bits(f1500));
  uint64_t b1 = sub(&t, f1500, f1499);
  uint64_t b2 = sub_ovf(&u, f1500, f1499);
  expect("fib.sub-identity", 1, b1 == 0 && b2 == 0 && memcmp(&t, f1498, sizeof t) == 0 && memcmp(&u, &t, sizeof t) == 0);
  uint64_t c1 = add_ovf(&u, f1499, f1498);
  expect("fib.add-identity", 1, c1 == 0 && memcmp(&u, f1500, sizeof u) == 0);
  uint64_t b3 = sub(&t, f1498, f1500); /* negative: wraps modulo 2^2048 */
  expect("fib.negative", 0x2f17dcf6ac146738, fold(&t) ^ b3);
  add(&u, &t, f1500);
  expect("fib.wrap-back", 1, memcmp(&u, f1498, sizeof u) == 0);

  /* carries and borrows through every word */
  memset(&t, 0xff, sizeof t);
  set(&u, 1);
  uint64_t c = add(&x, &t, &u);
  expect("ripple.carry", 1, c == 1 && is_zero(&x));
  c = add_ovf(&x, &t, &u);
  expect("ripple.carry-ovf", 1, c == 1 && is_zero(&x));
  set(&x, 0);
  uint64_t b = sub(&p, &x, &u);
  expect("ripple.borrow", 1, b == 1 && memcmp(&p, &t, sizeof p) == 0);
  b = sub_ovf(&p, &x, &u);
  expect("ripple.borrow-ovf", 1, b == 1 && memcmp(&p, &t, sizeof p) == 0);

  /* 3^1290 by square-and-multiply (fits in 2048 bits), and 3^1290 mod 2^2048 * 3^k */
  set(&p, 1);
  set(&x, 3);
  for (unsigned e = 1290; e; e >>= 1) {
    if (e & 1) mul(&p, &p, &x);
    mul(&x, &x, &x);
  }
  expect("pow3.fold", 0x76d4e622a9d65329, fold(&p));
  expect("pow3.bits", 0x7fd, bits(&p));
  uint64_t r7 = divmod1(&t, &p, 7), r10 = divmod1(&u, &p, 0xfffffffffffffffbull);
  expect("pow3.mod7", 0x1, r7);
  expect("pow3.mod-p64", 0xd165538d7b6653d9, r10);
  mul(&x, &p, f1500); /* truncated to 2048 bits */
  expect("product.fold", 0x26a8169e698f248a, fold(&x));
  return finish(12);
}
