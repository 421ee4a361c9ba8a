/* Output: port 0xE9 (Bochs port_e9_hack, QEMU -debugcon) always; COM1 at
 * 115200 8N1 as well when a multiboot loader started us (bare metal). */
#include "probe.h"

#define COM1 0x3f8
static int use_serial;

void con_init(int serial)
{
	use_serial = serial;
	if (!serial)
		return;
	outb(COM1 + 1, 0);       /* no interrupts */
	outb(COM1 + 3, 0x80);    /* DLAB */
	outb(COM1 + 0, 1);       /* 115200 */
	outb(COM1 + 1, 0);
	outb(COM1 + 3, 0x03);    /* 8N1 */
	outb(COM1 + 2, 0xc7);    /* FIFO */
}

void con_putc(char c)
{
	outb(0xe9, (uint8_t)c);
	if (use_serial) {
		for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
			;
		outb(COM1, (uint8_t)c);
	}
}

void con_puts(const char *s)
{
	while (*s)
		con_putc(*s++);
}

void con_hex(uint64_t v)
{
	char b[17];
	int n = 0;
	do {
		b[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	con_putc(' ');
	while (n)
		con_putc(b[--n]);
}

void con_nl(void)
{
	con_putc('\n');
}

/* Bochs: a debugger break (the -rc file then says quit), else "Shutdown"
 * on port 0x8900; QEMU: isa-debug-exit at 0xf4 (only under a hypervisor);
 * bare metal: halt. */
void probe_shutdown(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (!use_serial) {
		outw(0x8a00, 0x8a00);
		outw(0x8a00, 0x8ae0);
		for (const char *s = "Shutdown"; *s; s++)
			outb(0x8900, (uint8_t)*s);
	} else if (r[2] >> 31) {
		outb(0xf4, 0);
	}
	for (;;)
		__asm__ volatile("cli; hlt");
}

void *memset(void *d, int c, size_t n)
{
	void *r = d;
	if (!(((uintptr_t)d | n) & 7)) {
		size_t q = n / 8;
		uint64_t v = (uint8_t)c * 0x0101010101010101ULL;
		__asm__ volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(v) : "memory");
		return r;
	}
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return r;
}

void *memcpy(void *d, const void *s, size_t n)
{
	void *r = d;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) :: "memory");
	return r;
}

void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;
	if (dp <= sp || dp >= sp + n)
		return memcpy(d, s, n);
	while (n--)
		dp[n] = sp[n];
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] - y[i];
	return 0;
}
