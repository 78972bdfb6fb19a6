/* Assembler macros for the target-specific runtime files (guest/bare/sys.S,
 * guest/linux/sys.S), valid for both PowerPC 64 ABIs:
 *
 *   QG_FUNC(name) ... QG_END(name)
 *       a global function. ELFv1: `name` is the function descriptor in .opd
 *       (code address, TOC base, environment), the code starts at the local
 *       label .L.name, and the linker sends `bl name` there. ELFv2: `name` is
 *       the code itself, with no local entry point (st_other 0: the function
 *       neither needs nor changes r2).
 *   QG_TOC_FROM_R12(name)
 *       ELFv2 only (empty under ELFv1, where r2 comes from the descriptor):
 *       r2 = .TOC. computed from r12 = the address of `name`, which is what the
 *       simulator and Linux/qemu put in r12 at the ELF entry point. */
#ifndef QUIESCE_GUEST_ASM_H
#define QUIESCE_GUEST_ASM_H

#if defined(_CALL_ELF) && _CALL_ELF == 2
#define QG_FUNC(name) \
  .globl name; .type name, @function; .p2align 2; name:
#define QG_END(name) .size name, . - name
#define QG_TOC_FROM_R12(name) \
  addis 2, 12, (.TOC. - name)@ha; addi 2, 2, (.TOC. - name)@l
#else
#define QG_FUNC(name) \
  .globl name; .section ".opd", "aw"; .p2align 3; \
  name: .quad .L.name, .TOC.@tocbase, 0; .previous; \
  .type name, @function; .p2align 2; .L.name:
#define QG_END(name) .size name, . - .L.name
#define QG_TOC_FROM_R12(name)
#endif

/* Plain code labels delimiting the target-specific code. */
#define QG_LABEL(name) .globl name; .type name, @notype; name:

#endif
