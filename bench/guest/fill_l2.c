/* Every CPU writes one byte in each of 4,096 lines of its own 512 KiB (the whole default L2), twice,
 * then waits for the others: the directory then tracks 4,096 private lines per CPU. Host memory per
 * CPU against the CPU count (bench/NOTES.md, issue 26):
 *   tools/guest-cc -O2 -o fill_l2.elf bench/guest/fill_l2.c
 *   /usr/bin/time -v build/quiesce exec fill_l2.elf --cpus N --set machine.memory.size_mib=4096 */
#include <quiesce/guest.h>

#define LINES 4096
static char buf[1024][LINES * 128] __attribute__((aligned(128)));
static unsigned done;

int main(void) {
  unsigned c = qg_cpu_id();
  for (int r = 0; r < 2; r++)
    for (unsigned i = 0; i < LINES; i++) ((volatile char *)buf[c])[i * 128] = (char)(r + 1);
  __atomic_fetch_add(&done, 1, __ATOMIC_SEQ_CST);
  while (__atomic_load_n(&done, __ATOMIC_SEQ_CST) < qg_num_cpus()) {}
  return 0;
}
