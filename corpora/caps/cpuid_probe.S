/* CPUID probe for Bochs: a 64 KiB ROM (no BIOS) that runs CPUID in real
 * mode and prints one line per leaf, "LEAF EAX EBX ECX EDX" in hex, to the
 * port 0xE9 hack, then ends Bochs by writing "Shutdown" to port 0x8900.
 * It measured the CPUID lines of bochs-caps-extra.txt.
 *
 *   as --32 -o rom.o cpuid_probe.S
 *   ld -m elf_i386 -Ttext 0 --oformat binary -o rom.bin rom.o
 *   cat > bochsrc <<END
 *   megs: 32
 *   romimage: file=rom.bin, address=0xffff0000
 *   display_library: rfb, options="timeout=0"
 *   port_e9_hack: enabled=1
 *   log: bochs.log
 *   END
 *   printf 'c\nquit\n' > rc
 *   bochs -q -f bochsrc -rc rc "cpu: model=corei7_skylake_x, ignore_bad_msrs=0" </dev/null
 */
	.code16
	.text
	.globl _start
_start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov $0x7000, %sp
	xor %bx, %bx
next:
	mov %cs:leaves(%bx), %eax
	cmp $0xffffffff, %eax
	je done
	mov %eax, %edi
	push %bx
	mov %cs:subleaves(%bx), %ecx
	cpuid
	mov %eax, 0x500
	mov %ebx, 0x504
	mov %ecx, 0x508
	mov %edx, 0x50c
	mov %edi, %eax
	call hex
	mov 0x500, %eax
	call sphex
	mov 0x504, %eax
	call sphex
	mov 0x508, %eax
	call sphex
	mov 0x50c, %eax
	call sphex
	mov $'\n', %al
	out %al, $0xe9
	pop %bx
	add $4, %bx
	jmp next
done:
	mov $0x8900, %dx
	xor %bx, %bx
1:	mov %cs:shut(%bx), %al
	out %al, %dx
	inc %bx
	cmp $8, %bx
	jne 1b
2:	hlt
	jmp 2b

sphex:
	push %eax
	mov $' ', %al
	out %al, $0xe9
	pop %eax
hex:
	mov $8, %cx
1:	rol $4, %eax
	push %eax
	and $0xf, %al
	add $'0', %al
	cmp $'9', %al
	jbe 2f
	add $7, %al
2:	out %al, $0xe9
	pop %eax
	loop 1b
	ret

leaves:    .long 0, 1, 7, 0x80000000, 0x80000001, 0x80000008, 0xffffffff
subleaves: .long 0, 0, 0, 0, 0, 0, 0
shut:      .ascii "Shutdown"

	.org 0xfff0
	jmp _start
	.org 0x10000
