/* Exercises: integer matrix multiplication three ways (i-j-k, i-k-j over
 * rows, and k-blocked over a transposed copy) which must agree, 2-D array
 * indexing (multiply-add address arithmetic, ldx/stdx), a matrix power by
 * repeated squaring modulo a prime (divd/modulo), and the determinant of a
 * 6x6 matrix by fraction-free (Bareiss) elimination with exact division.
 * Model: reference.py matrix. */
#include "check.h"

#define N 20
#define MOD 1000003
static int64_t A[N][N], B[N][N], Bt[N][N], C1[N][N], C2[N][N], C3[N][N], D[N][N], P[N][N], T[N][N];

static void mul_ijk(int64_t r[N][N], int64_t a[N][N], int64_t b[N][N]) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      int64_t s = 0;
      for (int k = 0; k < N; k++) s += a[i][k] * b[k][j];
      r[i][j] = s;
    }
}
static void mul_ikj(int64_t r[N][N], int64_t a[N][N], int64_t b[N][N]) {
  for (int i = 0; i < N; i++) {
    for (int j = 0; j < N; j++) r[i][j] = 0;
    for (int k = 0; k < N; k++) {
      int64_t aik = a[i][k];
      for (int j = 0; j < N; j++) r[i][j] += aik * b[k][j];
    }
  }
}
static void mul_blocked_t(int64_t r[N][N], int64_t a[N][N], int64_t bt[N][N]) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) r[i][j] = 0;
  for (int k0 = 0; k0 < N; k0 += 8)
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) {
        int64_t s = r[i][j];
        for (int k = k0; k < k0 + 8 && k < N; k++) s += a[i][k] * bt[j][k];
        r[i][j] = s;
      }
}
static void mul_mod(int64_t r[N][N], int64_t a[N][N], int64_t b[N][N]) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      int64_t s = 0;
      for (int k = 0; k < N; k++) s += a[i][k] * b[k][j]; /* < 20 * MOD^2 < 2^63 */
      T[i][j] = s % MOD;
    }
  memcpy(r, T, sizeof T);
}
static uint64_t fold(int64_t m[N][N]) {
  uint64_t h = FNV_INIT;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) h = fnv_mix(h, (uint64_t)m[i][j]);
  return h;
}

int main(void) {
  uint32_t s = 3;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      s = s * 1664525u + 1013904223u;
      A[i][j] = (int64_t)(s >> 28) - 8;
      B[j][i] = (int64_t)((s >> 20) % 201) - 100;
    }
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) Bt[j][i] = B[i][j];
  mul_ijk(C1, A, B);
  mul_ikj(C2, A, B);
  mul_blocked_t(C3, A, Bt);
  expect("product", 0x779160a58564e902, fold(C1));
  expect("ikj-agrees", 1, memcmp(C1, C2, sizeof C1) == 0);
  expect("blocked-agrees", 1, memcmp(C1, C3, sizeof C1) == 0);
  expect("C[7][13]", 0x485, (uint64_t)C1[7][13]);

  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      D[i][j] = i == j;
      P[i][j] = ((A[i][j] * 1000 + B[i][j]) % MOD + MOD) % MOD;
    }
  for (unsigned e = 45; e; e >>= 1) {
    if (e & 1) mul_mod(D, D, P);
    mul_mod(P, P, P);
  }
  expect("power45-mod-p", 0xacbeaf43eb0fa726, fold(D));

  int64_t M[6][6];
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 6; j++) M[i][j] = A[i][j] + B[i + 6][j + 3] % 10;
  int64_t prev = 1;
  int sign = 1, singular = 0;
  for (int k = 0; k < 5 && !singular; k++) {
    if (M[k][k] == 0) {
      int p = k + 1;
      while (p < 6 && M[p][k] == 0) p++;
      if (p == 6) {
        singular = 1;
        break;
      }
      for (int j = 0; j < 6; j++) {
        int64_t t = M[k][j];
        M[k][j] = M[p][j];
        M[p][j] = t;
      }
      sign = -sign;
    }
    for (int i = k + 1; i < 6; i++)
      for (int j = k + 1; j < 6; j++) M[i][j] = (M[i][j] * M[k][k] - M[i][k] * M[k][j]) / prev;
    prev = M[k][k];
  }
  expect("det6", 0xfffffffffffeb8bf, singular ? 0 : (uint64_t)(sign * M[5][5]));
  return finish(22);
}
