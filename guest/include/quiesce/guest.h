/* quiesce guest runtime: the whole API a guest program may rely on.
 * The same source builds for the simulator (tools/guest-cc, default target
 * "bare") and for qemu-ppc64 (--target=linux). See guest/README.md. */
#ifndef QUIESCE_GUEST_H
#define QUIESCE_GUEST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void qg_putc(char c);                 /* one byte to the console */
void qg_puts(const char *s);          /* a string, no newline added */
void qg_puthex(uint64_t v);           /* 16 lowercase hex digits, then '\n' */
void qg_exit(int code) __attribute__((noreturn)); /* ends the whole run */
unsigned qg_cpu_id(void);             /* 0 .. qg_num_cpus()-1 */
unsigned qg_num_cpus(void);

/* The timebase: one tick per core cycle on quiesce; qemu's own timebase under qemu. */
static inline uint64_t qg_cycles(void) {
  uint64_t t;
  __asm__ __volatile__("mftb %0" : "=r"(t));
  return t;
}

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#ifdef __cplusplus
}
#endif

#endif
