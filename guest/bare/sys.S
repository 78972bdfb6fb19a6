/* Bare-metal target (`quiesce exec`): boot code and the MMIO console, exit,
 * halt and CPU identification. See guest/README.md for the boot protocol.
 *
 * Everything that differs between the targets is here, between the labels
 * __qg_sys_begin and __qg_sys_end; tests/differential counts instructions
 * outside that range only. */
#include "../lib/asm.h"

#define MMIO_CONSOLE  0x00   /* stb: one byte to the console */
#define MMIO_EXIT     0x08   /* std: end the run with this exit code */
#define MMIO_HALT     0x10   /* std: stop this CPU */
#define MMIO_CPU_ID   0x18   /* ld: this CPU's number */
#define MMIO_NUM_CPUS 0x20   /* ld: how many CPUs */
/* The MMIO block is at 0xFFFFFFFFFFFF0000: `lis rX, -1` builds its address. */

  .section .text.qgsys, "ax", @progbits
  .p2align 4
QG_LABEL(__qg_sys_begin)
  trap                      /* never executed: gives __qg_sys_begin an address of its own */

/* Entry on every CPU at once. The simulator sets r1 = this CPU's stack top
 * (16-byte aligned), r2 = TOC (ELFv1, from the entry descriptor), r12 = entry
 * address (ELFv2), r3 = cpu id, r4 = number of CPUs, every other GPR 0.
 * Memory starts zeroed, so .bss is not cleared here (CPUs start together). */
QG_FUNC(_start)
  QG_TOC_FROM_R12(_start)
  mr 31, 3                  /* cpu id, preserved across main (non-volatile) */
  li 0, 0
  stdu 0, -128(1)           /* first frame, back chain 0 */
  bl main
  nop
  lis 9, -1
  cmpdi 31, 0
  bne 1f
  std 3, MMIO_EXIT(9)       /* main returned on CPU 0: its value ends the run */
1:std 3, MMIO_HALT(9)       /* on any other CPU: halt this CPU */
  b 1b
QG_END(_start)

/* void qg_putc(char c) */
QG_FUNC(qg_putc)
  lis 9, -1
  stb 3, MMIO_CONSOLE(9)
  blr
QG_END(qg_putc)

/* void qg_exit(int code): ends the run from any CPU; does not return. */
QG_FUNC(qg_exit)
  lis 9, -1
1:std 3, MMIO_EXIT(9)
  b 1b
QG_END(qg_exit)

/* unsigned qg_cpu_id(void) */
QG_FUNC(qg_cpu_id)
  lis 9, -1
  ld 3, MMIO_CPU_ID(9)
  blr
QG_END(qg_cpu_id)

/* unsigned qg_num_cpus(void) */
QG_FUNC(qg_num_cpus)
  lis 9, -1
  ld 3, MMIO_NUM_CPUS(9)
  blr
QG_END(qg_num_cpus)

QG_LABEL(__qg_sys_end)
  trap                      /* never executed: keeps __qg_sys_end off the next function */

  .section .note.GNU-stack, "", @progbits
