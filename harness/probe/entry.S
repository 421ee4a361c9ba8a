/* Probe kernel entry: the multiboot (v1) header, the 32-bit entry that both
 * boot paths reach (GRUB/QEMU multiboot, and the Bochs ROM stub in rom.S),
 * the switch to long mode over the test machine's identity map, the host
 * exception stubs, the VM-exit entry and the ring-3 trampoline. */
#include "../../refvmm/testmachine.h"

#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00010002   /* memory info, a.out-kludge addresses */

	.section .multiboot, "a"
	.code32
	.align 4
mb_header:
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
	.long mb_header, __image_start, __load_end, __bss_end, entry32

	.section .boot, "ax"
	.code32
	.globl entry32
entry32:
	cli
	mov %eax, %ebp                  /* boot magic -> kmain arg 1 (entry64) */
	mov %ebx, %esi                  /* multiboot info -> kmain arg 2 */
	lgdt boot_gdtr
	mov $TM_SEL_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $boot_stack_top, %esp
	/* zero .bss (the ROM path loads the raw image only) */
	cld
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	/* identity map of 1 GiB with 2 MiB pages, where testmachine.h puts it */
	mov $TM_PAGE_TABLES, %edi
	mov $(3 * 4096 / 4), %ecx
	rep stosl
	movl $(TM_PAGE_TABLES + 0x1000 + 3), TM_PAGE_TABLES
	movl $(TM_PAGE_TABLES + 0x2000 + 3), TM_PAGE_TABLES + 0x1000
	mov $TM_PAGE_TABLES + 0x2000, %ebx
	mov $0x83, %eax
1:	mov %eax, (%ebx)
	add $0x200000, %eax
	add $8, %ebx
	cmp $TM_PAGE_TABLES + 0x3000, %ebx
	jne 1b
	mov %cr4, %eax
	or $0x20, %eax                  /* PAE */
	mov %eax, %cr4
	mov $TM_PAGE_TABLES, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	or $0x100, %eax                 /* LME */
	wrmsr
	mov %cr0, %eax
	or $0x80000021, %eax            /* PG | NE | PE */
	mov %eax, %cr0
	ljmp $TM_SEL_CODE64, $entry64

	.code64
entry64:
	mov $TM_SEL_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	mov $boot_stack_top, %rsp
	mov %ebp, %edi
	call kmain
2:	hlt
	jmp 2b

	.section .rodata
	.align 16
boot_gdt:
	.quad 0, 0x00af9b000000ffff, 0x00cf93000000ffff, 0x00cf9b000000ffff  /* TM_GDT_CODE64, _DATA, _CODE32 (gas takes no ULL) */
boot_gdtr:
	.word 4 * 8 - 1
	.long boot_gdt

/* ---- host exception stubs: 256 x 16 bytes, each pushes a dummy error
 * code where the CPU pushes none, then the vector ---- */
	.section .text
	.align 16
	.globl isr_table
isr_table:
	.set vec, 0
	.rept 256
	.align 16
	.if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	pushq $vec
	jmp isr_common
	.else
	pushq $0
	pushq $vec
	jmp isr_common
	.endif
	.set vec, vec + 1
	.endr

isr_common:
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	mov $TM_SEL_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %rsp, %rdi
	and $-16, %rsp
	call trap                        /* recovers with ctx_restore, or returns */
	ud2

/* ---- a minimal setjmp/longjmp: struct ctx { rbx rbp r12 r13 r14 r15 rsp rip } ---- */
	.globl ctx_save
ctx_save:
	mov %rbx, 0(%rdi)
	mov %rbp, 8(%rdi)
	mov %r12, 16(%rdi)
	mov %r13, 24(%rdi)
	mov %r14, 32(%rdi)
	mov %r15, 40(%rdi)
	lea 8(%rsp), %rax
	mov %rax, 48(%rdi)
	mov (%rsp), %rax
	mov %rax, 56(%rdi)
	xor %eax, %eax
	ret

	.globl ctx_restore
ctx_restore:
	mov $TM_SEL_DATA, %ax
	mov %ax, %ss
	mov %ax, %ds
	mov %ax, %es
	mov %rsi, %rax
	mov 0(%rdi), %rbx
	mov 8(%rdi), %rbp
	mov 16(%rdi), %r12
	mov 24(%rdi), %r13
	mov 32(%rdi), %r14
	mov 40(%rdi), %r15
	mov 48(%rdi), %rsp
	jmp *56(%rdi)

/* uint64_t vmx_enter(int mode): VMLAUNCH (mode bit 0 clear) or VMRESUME,
 * directly after MOV SS when bit 1 is set.  Returns RFLAGS when
 * the instruction fails, VMX_EXITED after a VM exit (via vmexit_entry). */
	.globl vmx_enter
vmx_enter:
	lea launch_ctx(%rip), %rax
	mov %rbx, 0(%rax)
	mov %rbp, 8(%rax)
	mov %r12, 16(%rax)
	mov %r13, 24(%rax)
	mov %r14, 32(%rax)
	mov %r15, 40(%rax)
	lea 8(%rsp), %rcx
	mov %rcx, 48(%rax)
	mov (%rsp), %rcx
	mov %rcx, 56(%rax)
	mov %ss, %ecx
	mov %ecx, entry_ss(%rip)
	/* the test machine enters L2 with every GPR 0 but RSP (testmachine.h) */
	mov %edi, %r8d
	xor %eax, %eax
	xor %ebx, %ebx
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %ebp, %ebp
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d
	test $2, %r8d
	jnz 3f
	test $1, %r8d
	jnz 1f
	xor %r8d, %r8d
	vmlaunch
	jmp 2f
1:	xor %r8d, %r8d
	vmresume
	jmp 2f
	/* right after MOV SS: blocking by MOV SS covers the VMX instruction */
3:	test $1, %r8d
	jnz 4f
	xor %r8d, %r8d
	mov entry_ss(%rip), %ss
	vmlaunch
	jmp 2f
4:	xor %r8d, %r8d
	mov entry_ss(%rip), %ss
	vmresume
	/* VMfail: back to the caller with its callee-saved registers and RFLAGS */
2:	pushfq
	pop %rsi
	lea launch_ctx(%rip), %rdi
	jmp ctx_restore

/* VM exits arrive here (through the jump laid at TM_HOST_RIP): back to
 * the caller of vmx_enter with its registers; the guest's are dropped. */
	.globl vmexit_entry
vmexit_entry:
	/* the GPRs L1 finds: L2's, but RSP (the `gpr` op) */
	mov %rax, guest_gprs+0(%rip)
	mov %rcx, guest_gprs+8(%rip)
	mov %rdx, guest_gprs+16(%rip)
	mov %rbx, guest_gprs+24(%rip)
	mov %rsp, guest_gprs+32(%rip)
	mov %rbp, guest_gprs+40(%rip)
	mov %rsi, guest_gprs+48(%rip)
	mov %rdi, guest_gprs+56(%rip)
	mov %r8, guest_gprs+64(%rip)
	mov %r9, guest_gprs+72(%rip)
	mov %r10, guest_gprs+80(%rip)
	mov %r11, guest_gprs+88(%rip)
	mov %r12, guest_gprs+96(%rip)
	mov %r13, guest_gprs+104(%rip)
	mov %r14, guest_gprs+112(%rip)
	mov %r15, guest_gprs+120(%rip)
	lea launch_ctx(%rip), %rdi
	movabs $0x8000000000000000, %rsi
	jmp ctx_restore

/* void user_call(struct xop *x): run exec_raw(x) at CPL 3 on user_stack,
 * ending in ud2 at user_done, which trap() recognises as completion. */
	.globl user_call, user_done
user_call:
	push $TM_SEL_USER_DATA
	lea user_stack_top(%rip), %rax
	push %rax
	push $2
	push $TM_SEL_USER_CODE64
	lea user_entry(%rip), %rax
	push %rax
	iretq
user_entry:
	call exec_raw
user_done:
	ud2

	.section .bss
	.align 4096
	.space 16384
boot_stack_top:
	.globl user_stack_top
	.space 8192
user_stack_top:
	.globl launch_ctx
launch_ctx:
	.space 64
	.globl guest_gprs
guest_gprs:
	.space 128
entry_ss:
	.space 4

	.section .note.GNU-stack, "", @progbits
