/* A minimal guest_layout() for builds without refvmm/guest_code.c (the
 * model's own, linked in when present, overrides this weak one): cpuid,
 * hlt, vmcall and nop, then the implicit trailing vmcall. */
#include "probe.h"
#include "../../refvmm/guest.h"

static size_t put(uint8_t *code, size_t at, size_t cap, const uint8_t *b, size_t n)
{
	if (at + n > cap)
		return 0;
	memcpy(code + at, b, n);
	return at + n;
}

__attribute__((weak)) size_t guest_layout(const struct rop *ops, uint32_t n, uint8_t *code,
					  size_t cap, uint32_t *offs, uint8_t *lens)
{
	static const uint8_t vmcall[3] = { 0x0f, 0x01, 0xc1 }, hlt = 0xf4, nop = 0x90;
	size_t at = 0;
	for (uint32_t i = 0; i <= n; i++) {
		uint16_t op = i < n ? ops[i].op : OP_G_VMCALL;
		if (op == OP_G_CPUID) {
			uint8_t mov[7] = { 0xb8, 0, 0, 0, 0, 0x31, 0xc9 };   /* mov eax, leaf; xor ecx, ecx */
			uint32_t leaf = (uint32_t)ops[i].a[0];
			memcpy(mov + 1, &leaf, 4);
			at = put(code, at, cap, mov, sizeof mov);
			offs[i] = (uint32_t)at;
			lens[i] = 2;
			at = at ? put(code, at, cap, (const uint8_t[]){ 0x0f, 0xa2 }, 2) : 0;
		} else {
			const uint8_t *b = op == OP_G_HLT ? &hlt : op == OP_G_NOP ? &nop : vmcall;
			size_t len = op == OP_G_HLT || op == OP_G_NOP ? 1 : 3;
			if (op != OP_G_HLT && op != OP_G_NOP && op != OP_G_VMCALL)
				return 0;
			offs[i] = (uint32_t)at;
			lens[i] = (uint8_t)len;
			at = put(code, at, cap, b, len);
		}
		if (!at)
			return 0;
	}
	return at;
}
