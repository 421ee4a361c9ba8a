/* The probe kernel and the Bochs ROM, embedded in the nestvmx binary so
 * the backends need no files beside it. */
	.section .rodata
	.balign 16
	.globl probe_bin_start, probe_bin_end, probe_rom_start, probe_rom_end
probe_bin_start:
	.incbin PROBE_BIN
probe_bin_end:
	.balign 16
probe_rom_start:
	.incbin PROBE_ROM
probe_rom_end:
	.section .note.GNU-stack, "", @progbits
