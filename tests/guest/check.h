/* Self-check helpers shared by the guest test programs in tests/guest/.
 *
 * expect("name", WANT, got) prints "name <got as 16 hex digits>" and, when
 * got != WANT, a line "FAIL name: expected <WANT>". finish(code) prints the
 * verdict and is main's return value: the program's own exit code when every
 * check passed, 1 otherwise. Every program prints only values that are the
 * same on every target and compiler variant (no addresses, no qg_cycles()).
 *
 * Expected values come from tests/guest/reference.py, which recomputes them
 * independently in Python where a program has a model there (run it with
 * --check to compare with the constants in the C files); the rest were taken
 * from qemu-ppc64 and are identical across all variants of the differential
 * matrix (tests/differential/run.py checks that too). */
#ifndef QUIESCE_TESTS_GUEST_CHECK_H
#define QUIESCE_TESTS_GUEST_CHECK_H
#include <quiesce/guest.h>

static unsigned check_failures;

__attribute__((noinline, unused)) static void expect(const char *name, uint64_t want, uint64_t got) {
  qg_puts(name);
  qg_putc(' ');
  qg_puthex(got);
  if (got != want) {
    check_failures++;
    qg_puts("FAIL ");
    qg_puts(name);
    qg_puts(": expected ");
    qg_puthex(want);
  }
}

__attribute__((noinline, unused)) static int finish(int code) {
  if (check_failures) {
    qg_puts("FAILED checks: ");
    qg_puthex(check_failures);
    return 1;
  }
  qg_puts("PASSED\n");
  return code;
}

/* FNV-1a over 64-bit values: the programs' running checksums. */
static inline uint64_t fnv_mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ull; }
#define FNV_INIT 0xcbf29ce484222325ull

#endif
