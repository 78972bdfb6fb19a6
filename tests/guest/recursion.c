/* Exercises: deep recursion and the stack — a non-tail recursive sum 5000
 * frames deep (stdu/ld back chain, saved LR and non-volatile registers on
 * every frame), Ackermann A(2, 100) and A(3, 4), mutual recursion (even/odd)
 * 3000 deep, a recursive flood fill over a 48x48 grid (up to ~1500 frames),
 * Towers of Hanoi counting moves, and recursive generation of the 720
 * permutations of 6 items with an array on each frame.
 * Model: reference.py recursion. */
#include "check.h"

#define NOINLINE __attribute__((noinline))
static NOINLINE uint64_t rsum(uint64_t n, uint64_t salt) {
  if (!n) return salt;
  return n + (rsum(n - 1, salt ^ n) ^ (n & 7));
}
static NOINLINE unsigned ack(unsigned m, unsigned n) {
  if (!m) return n + 1;
  if (!n) return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}
static int is_odd(unsigned n);
static NOINLINE int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
static NOINLINE int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }

#define G 48
static char grid[G][G];
static NOINLINE int fill(int r, int c, char mark) {
  if (r < 0 || c < 0 || r >= G || c >= G || grid[r][c]) return 0;
  grid[r][c] = mark;
  return 1 + fill(r + 1, c, mark) + fill(r, c + 1, mark) + fill(r - 1, c, mark) + fill(r, c - 1, mark);
}

static uint64_t moves, move_hash = FNV_INIT;
static NOINLINE void hanoi(int n, int from, int to, int via) {
  if (!n) return;
  hanoi(n - 1, from, via, to);
  moves++;
  move_hash = fnv_mix(move_hash, (uint64_t)(n * 16 + from * 4 + to));
  hanoi(n - 1, via, to, from);
}

static uint64_t perm_count, perm_hash = FNV_INIT;
static NOINLINE void permute(const int *items, int n, uint64_t prefix) {
  if (!n) {
    perm_count++;
    perm_hash = fnv_mix(perm_hash, prefix);
    return;
  }
  for (int i = 0; i < n; i++) {
    int rest[8], k = 0;
    for (int j = 0; j < n; j++)
      if (j != i) rest[k++] = items[j];
    permute(rest, n - 1, prefix * 10 + (uint64_t)items[i]);
  }
}

int main(void) {
  expect("rsum(5000)", 0xbecfe5, rsum(5000, 77));
  expect("ack(2,100)", 203, ack(2, 100));
  expect("ack(3,4)", 125, ack(3, 4));
  expect("even(3001)", 0, (uint64_t)is_even(3001));
  expect("odd(2999)", 1, (uint64_t)is_odd(2999));
  for (int i = 0; i < G; i++) grid[i][17] = 1, grid[31][i] = 1;
  for (int i = 5; i < 40; i++) grid[i][i] = 1;
  int a = fill(0, 0, 2), b = fill(G - 1, G - 1, 3), c = fill(0, G - 1, 4), d = fill(G - 1, 0, 5);
  expect("fill.regions", 0x20301d803470110, (uint64_t)a << 48 | (uint64_t)b << 32 | (uint64_t)c << 16 | (uint64_t)d);
  unsigned walls = 0, unreached = 0;
  for (int i = 0; i < G; i++)
    for (int j = 0; j < G; j++) walls += grid[i][j] == 1, unreached += grid[i][j] == 0;
  expect("fill.walls", 0x80, walls);
  expect("fill.unreached", 0x4e, unreached);
  hanoi(12, 0, 2, 1);
  expect("hanoi.moves", 4095, moves);
  expect("hanoi.hash", 0x7a307eb12bf0246e, move_hash);
  static const int items[6] = {1, 2, 3, 4, 5, 6};
  permute(items, 6, 0);
  expect("permutations", 720, perm_count);
  expect("permutations.hash", 0xe0e48a6d6e9d3155, perm_hash);
  return finish(24);
}
