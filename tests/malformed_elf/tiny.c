#include <quiesce/guest.h>
static int table[16] = {1, 2, 3};
int counter;
int main(void) { int s = 0; for (int i = 0; i < 16; ++i) s += table[i] * i; counter = s; qg_puts("tiny\n"); return s == 8 ? 0 : 1; }
