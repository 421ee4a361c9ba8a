/* The probe kernel's internal interface.  Freestanding: no libc. */
#ifndef PROBE_PROBE_H
#define PROBE_PROBE_H
#include <stddef.h>
#include <stdint.h>
#include "../probe_proto.h"
#include "../../refvmm/ops.h"

/* entry.S */
struct ctx { uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip; };
uint64_t ctx_save(struct ctx *c) __attribute__((returns_twice));
__attribute__((noreturn)) void ctx_restore(struct ctx *c, uint64_t v);
#define VMX_EXITED 0x8000000000000000ULL
uint64_t vmx_enter(int mode);          /* bit 0: VMRESUME; bit 1: right after MOV SS.  RFLAGS on VMfail, VMX_EXITED after an exit */
extern char isr_table[], vmexit_entry[], user_done[];

struct trap_frame {
	uint64_t r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
	uint64_t vec, err, rip, cs, rflags, rsp, ss;
};
void trap(struct trap_frame *f);

/* One operation as exec_raw runs it, at CPL 0 or (via user_call) CPL 3.
 * Lives in .bss below 2 MiB, so CPL 3 can reach it. */
struct xop {
	uint16_t op;
	uint64_t a[3];
	uint64_t rflags;     /* after the instruction */
	uint64_t val;        /* VMREAD/VMPTRST/RDMSR result */
	uint64_t mem;        /* m64 operand of VMXON/VMCLEAR/VMPTRLD/VMPTRST */
	uint64_t enter;      /* vmx_enter's return */
	int movss;           /* VMLAUNCH/VMRESUME directly after MOV SS (`mov_ss`) */
};
void exec_raw(struct xop *x);
/* The GPRs the last VM exit (or VM-entry failure) left, in encoding
 * order (entry.S vmexit_entry); zeroed at each case's start. */
extern uint64_t guest_gprs[16];
__attribute__((noreturn)) void user_call(struct xop *x);

/* Recovery from a fault in an operation: trap() returns to `rec`. */
enum { TRAP_NONE, TRAP_FAULT, TRAP_USER_DONE };
extern struct ctx rec;
extern volatile int rec_armed, trap_kind;
extern volatile uint64_t trap_vec, trap_err;

/* console.c */
void con_init(int serial);
void con_putc(char c);
void con_puts(const char *s);
void con_hex(uint64_t v);          /* " <hex>" */
void con_nl(void);
__attribute__((noreturn)) void probe_shutdown(void);

/* lib */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* machine.c: the fixed test machine of testmachine.h */
void tm_build(uint32_t revision);
void tm_dirty(uint64_t addr, uint64_t len);
void tm_dirty_all(void);
void tm_load_l1(void);
void tm_user_pages(int on);
int safe_rdmsr(uint32_t msr, uint64_t *v);
void safe_vmxoff(void);

/* exec.c */
void case_reset(void);
/* Runs op i of case `id` (with its block, for OP_GUEST) and prints its outcome. */
void op_run(uint32_t id, uint32_t i, const struct probe_op *op, const struct probe_op *block);

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
#endif
