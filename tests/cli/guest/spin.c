/* Never ends: only --max-instructions stops it. */
#include <quiesce/guest.h>
int main(void) { volatile int x = 0; for (;;) x++; }
