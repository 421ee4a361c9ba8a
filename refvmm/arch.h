#ifndef NESTVMX_ARCH_H
#define NESTVMX_ARCH_H
/* Architectural bits of the control registers, IA32_EFER and RFLAGS
 * (Vol. 3A 2.5, 2.2.1; Vol. 1 3.4.3), for every file of the model. */
#define CR0_PE    (1ull << 0)
#define CR0_ET    (1ull << 4)
#define CR0_WP    (1ull << 16)
#define CR0_NW    (1ull << 29)
#define CR0_CD    (1ull << 30)
#define CR0_PG    (1ull << 31)
#define CR4_PAE   (1ull << 5)
#define CR4_LA57  (1ull << 12)
#define CR4_PCIDE (1ull << 17)
#define CR4_SMEP  (1ull << 20)
#define CR4_SMAP  (1ull << 21)
#define CR4_PKE   (1ull << 22)
#define CR4_CET   (1ull << 23)
#define CR4_PKS   (1ull << 24)
#define EFER_LME  (1ull << 8)
#define EFER_LMA  (1ull << 10)
#define EFER_NXE  (1ull << 11)
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_AC (1ull << 18)

#endif
