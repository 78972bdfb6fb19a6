/* Linux target (static, for qemu-ppc64): the guest API through Linux system
 * calls. Only write(2) and exit_group(2) are used (tools/lockstep runs these
 * binaries on quiesce too, which emulates just those two).
 *
 * Everything that differs between the targets is here, between the labels
 * __qg_sys_begin and __qg_sys_end; tests/differential counts instructions
 * outside that range only. */
#include "../lib/asm.h"

#define SYS_write      4
#define SYS_exit_group 234

  .section .text.qgsys, "ax", @progbits
  .p2align 4
QG_LABEL(__qg_sys_begin)
  trap                      /* never executed: gives __qg_sys_begin an address of its own */

/* Process entry: r1 = the initial stack (argc, argv...), r2 = TOC (ELFv1, from
 * the entry descriptor), r12 = entry address (ELFv2). main's value is the exit
 * status. */
QG_FUNC(_start)
  QG_TOC_FROM_R12(_start)
  li 0, 0
  stdu 0, -128(1)           /* first frame, back chain 0 */
  bl main
  nop
  li 0, SYS_exit_group      /* r3 = main's value */
  sc
  b .
QG_END(_start)

/* void qg_putc(char c): write(1, &c, 1) */
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

/* void qg_exit(int code) */
QG_FUNC(qg_exit)
  li 0, SYS_exit_group
  sc
  b .
QG_END(qg_exit)

/* unsigned qg_cpu_id(void): always 0 */
QG_FUNC(qg_cpu_id)
  li 3, 0
  blr
QG_END(qg_cpu_id)

/* unsigned qg_num_cpus(void): always 1 */
QG_FUNC(qg_num_cpus)
  li 3, 1
  blr
QG_END(qg_num_cpus)

QG_LABEL(__qg_sys_end)
  trap                      /* never executed: keeps __qg_sys_end off the next function */

  .section .note.GNU-stack, "", @progbits
