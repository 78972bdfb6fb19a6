/* Function entry/exit macros valid for both ELFv1 (descriptors in .opd) and ELFv2. */
#if defined(_CALL_ELF) && _CALL_ELF == 2
#define QG_FUNC(name) .globl name; .type name, @function; name:
#define QG_END(name) .size name, . - name
#else
#define QG_FUNC(name) \
  .globl name; .section ".opd", "aw"; .align 3; name: .quad .L.name, .TOC.@tocbase, 0; .previous; \
  .type name, @function; .L.name:
#define QG_END(name) .size name, . - .L.name
#endif
/* Set r2 to this module's TOC (ELFv2 only; ELFv1 gets r2 from the entry descriptor). */
#if defined(_CALL_ELF) && _CALL_ELF == 2
#define QG_SET_TOC bcl 20, 31, 1f; 1: mflr 12; addis 2, 12, (.TOC. - 1b)@ha; addi 2, 2, (.TOC. - 1b)@l
#else
#define QG_SET_TOC
#endif
