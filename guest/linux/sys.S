/* Linux target (qemu-ppc64): the same API through Linux system calls.
 * Everything target-specific lies between __qg_sys_begin and __qg_sys_end. */
#include "../lib/asm.h"
#define SYS_write 4
#define SYS_exit_group 234

  .section .text.qgsys, "ax", @progbits
  .globl __qg_sys_begin
__qg_sys_begin:

QG_FUNC(_start)
  li 0, 0
  stdu 0, -128(1)
  QG_SET_TOC
  bl main
  nop
  li 0, SYS_exit_group
  sc
QG_END(_start)

QG_FUNC(qg_putc)
  stdu 1, -64(1)
  stb 3, 48(1)
  li 0, SYS_write
  li 3, 1
  addi 4, 1, 48
  li 5, 1
  sc
  addi 1, 1, 64
  blr
QG_END(qg_putc)

QG_FUNC(qg_exit)
  li 0, SYS_exit_group
  sc
  b .
QG_END(qg_exit)

QG_FUNC(qg_cpu_id)
  li 3, 0
  blr
QG_END(qg_cpu_id)

QG_FUNC(qg_num_cpus)
  li 3, 1
  blr
QG_END(qg_num_cpus)

  .globl __qg_sys_end
__qg_sys_end:
