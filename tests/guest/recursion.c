/* Deep recursion: a recursive sum 5000 frames deep, Ackermann(2, n),
 * mutual recursion, and a recursive flood fill on a grid. */
#include <quiesce/guest.h>
__attribute__((noinline)) static uint64_t rsum(uint64_t n, uint64_t salt) { if (!n) return salt; return n + (rsum(n - 1, salt ^ n) ^ (n & 7)); }
static unsigned ack(unsigned m, unsigned n) { if (!m) return n + 1; if (!n) return ack(m - 1, 1); return ack(m - 1, ack(m, n - 1)); }
static int is_odd(unsigned n);
__attribute__((noinline)) static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
__attribute__((noinline)) static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }
static char grid[40][40];
static int fill(int r, int c) { if (r < 0 || c < 0 || r >= 40 || c >= 40 || grid[r][c]) return 0; grid[r][c] = 2; return 1 + fill(r + 1, c) + fill(r - 1, c) + fill(r, c + 1) + fill(r, c - 1); }
int main(void) {
  qg_puthex(rsum(5000, 77));
  qg_puthex(ack(2, 200));
  qg_puthex((uint64_t)is_even(3001)); qg_puthex((uint64_t)is_odd(2999));
  for (int i = 0; i < 40; i++) { grid[i][13] = 1; grid[27][i] = 1; }
  qg_puthex((uint64_t)fill(0, 0)); qg_puthex((uint64_t)fill(39, 39));
  return 9;
}
