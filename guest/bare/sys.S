/* Bare-metal target: boot code and the MMIO console/exit (see guest/README.md).
 * Everything target-specific lies between __qg_sys_begin and __qg_sys_end. */
#include "../lib/asm.h"
#define MMIO_CONSOLE 0x00
#define MMIO_EXIT 0x08
#define MMIO_HALT 0x10
#define MMIO_CPU_ID 0x18
#define MMIO_NUM_CPUS 0x20

  .section .text.qgsys, "ax", @progbits
  .globl __qg_sys_begin
__qg_sys_begin:

/* Entry on every CPU: r1 = stack top, r2 = TOC (ELFv1), r3 = cpu id, r4 = cpus. */
QG_FUNC(_start)
  li 0, 0
  stdu 0, -128(1)          /* first frame, zero back chain */
  QG_SET_TOC
  bl main
  nop
  lis 9, -1                /* MMIO block at 0xFFFFFFFFFFFF0000 */
  ld 10, MMIO_CPU_ID(9)
  cmpdi 10, 0
  bne 1f
  std 3, MMIO_EXIT(9)      /* CPU 0 returned from main: the run ends */
1:std 3, MMIO_HALT(9)      /* any other CPU halts */
  b 1b
QG_END(_start)

QG_FUNC(qg_putc)
  lis 9, -1
  stb 3, MMIO_CONSOLE(9)
  blr
QG_END(qg_putc)

QG_FUNC(qg_exit)
  lis 9, -1
1:std 3, MMIO_EXIT(9)
  b 1b
QG_END(qg_exit)

QG_FUNC(qg_cpu_id)
  lis 9, -1
  ld 3, MMIO_CPU_ID(9)
  blr
QG_END(qg_cpu_id)

QG_FUNC(qg_num_cpus)
  lis 9, -1
  ld 3, MMIO_NUM_CPUS(9)
  blr
QG_END(qg_num_cpus)

  .globl __qg_sys_end
__qg_sys_end:
