/* The Bochs system ROM (64 KiB at 0xffff0000): no BIOS.  The reset vector
 * enters protected mode and jumps to the probe's 32-bit entry, whose
 * address it reads from the multiboot header at TM_PROBE_BASE (the image
 * is already in RAM: Bochs loads it with optramimage1).  The batch comes
 * inside the ROM: the harness puts it below these 64 KiB and patches its
 * address and length at PROBE_ROM_PATCH; the stub copies it to
 * PROBE_BATCH_ADDR (Bochs 2.7's optramimage loads only the first 128 KiB
 * of a file correctly, measured).  Assembled as a
 * flat binary; every address is computed from rom_start, so it needs no
 * linker. */
#include "../../refvmm/testmachine.h"
#include "../probe_proto.h"

#define ROM_BASE 0xffff0000
#define ABS(x) ((x) - rom_start + ROM_BASE)

	.code16
	.text
rom_start:
reset_stub:
	cli
	cld
	lgdtl %cs:(rom_gdtr - rom_start)
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $TM_SEL_CODE32, $ABS(pm32)

	.code32
pm32:
	mov $TM_SEL_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	/* the harness prepends the batch to this ROM and patches where it is */
	mov ABS(batch_src), %esi
	mov ABS(batch_len), %ecx
	mov $PROBE_BATCH_ADDR, %edi
	rep movsb
	mov $PROBE_ROM_BOOT, %eax
	xor %ebx, %ebx
	jmp *(TM_PROBE_BASE + 28)       /* multiboot header: entry_addr */

	.align 8
rom_gdt:
	.quad 0, 0x00af9b000000ffff, 0x00cf93000000ffff, 0x00cf9b000000ffff  /* TM_GDT_CODE64, _DATA, _CODE32 (gas takes no ULL) */
rom_gdtr:
	.word 4 * 8 - 1
	.long ABS(rom_gdt)

	.org PROBE_ROM_PATCH - ROM_BASE
batch_src:
	.long 0
batch_len:
	.long 0

	.org 0xfff0
	.code16
	jmp reset_stub
	.org 0x10000
