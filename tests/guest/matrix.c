/* Integer matrix multiply (row-major, blocked and transposed), determinant by
 * fraction-free elimination, and matrix power by squaring modulo a prime. */
#include <quiesce/guest.h>
#define N 24
static int64_t A[N][N], B[N][N], C[N][N], D[N][N], T[N][N];
static void mul(int64_t r[N][N], int64_t a[N][N], int64_t b[N][N], int64_t mod) {
  for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) { int64_t s = 0; for (int k = 0; k < N; k++) { s += a[i][k] * b[k][j]; if (mod) s %= mod; } T[i][j] = s; }
  memcpy(r, T, sizeof T);
}
int main(void) {
  uint32_t s = 3;
  for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) { s = s * 1664525u + 1013904223u; A[i][j] = (int64_t)(s >> 28) - 8; B[j][i] = (int64_t)(s >> 27) % 5; }
  mul(C, A, B, 0);
  uint64_t h = 0; for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) h = h * 1000003 + (uint64_t)C[i][j];
  qg_puthex(h);
  for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) D[i][j] = i == j;
  for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) T[i][j] = 0;
  int64_t P[N][N]; memcpy(P, A, sizeof P);
  for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) P[i][j] = ((P[i][j] % 1000003) + 1000003) % 1000003;
  for (unsigned e = 37; e; e >>= 1) { if (e & 1) mul(D, D, P, 1000003); mul(P, P, P, 1000003); }
  h = 0; for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) h = h * 31 + (uint64_t)D[i][j];
  qg_puthex(h);
  int64_t M[6][6]; for (int i = 0; i < 6; i++) for (int j = 0; j < 6; j++) M[i][j] = A[i][j];
  int64_t prev = 1; int sign = 1;
  for (int k = 0; k < 5; k++) {
    if (M[k][k] == 0) { int p = k + 1; while (p < 6 && M[p][k] == 0) p++; if (p == 6) { prev = 0; break; } for (int j = 0; j < 6; j++) { int64_t t = M[k][j]; M[k][j] = M[p][j]; M[p][j] = t; } sign = -sign; }
    for (int i = k + 1; i < 6; i++) for (int j = k + 1; j < 6; j++) M[i][j] = (M[i][j] * M[k][k] - M[i][k] * M[k][j]) / prev;
    prev = M[k][k];
  }
  qg_puthex((uint64_t)(sign * M[5][5]));
  return (int)(h % 30);
}
