/* The probe kernel: reports the processor's VMX profile, then runs every
 * case of the batch from the fixed test machine, printing one outcome line
 * per operation (protocol in ../probe_proto.h). */
#include "probe.h"

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
};
struct mb_module { uint32_t start, end, string, reserved; };

int safe_rdmsr(uint32_t msr, uint64_t *v)
{
	static struct xop x;
	x.op = OP_RDMSR;
	x.a[0] = msr;
	rec_armed = 1;
	trap_kind = TRAP_NONE;
	if (ctx_save(&rec) == 0) {
		exec_raw(&x);
		rec_armed = 0;
		*v = x.val;
		return 1;
	}
	return 0;
}

void safe_vmxoff(void)
{
	rec_armed = 1;
	if (ctx_save(&rec) == 0) {
		__asm__ volatile("vmxoff" ::: "cc", "memory");
		rec_armed = 0;
	}
}

static void report_cpu(void)
{
	uint32_t r[4], max_ext;
	cpuid(0, 0, r);
	char vendor[13];
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[3], 4);
	memcpy(vendor + 8, &r[2], 4);
	vendor[12] = 0;
	uint32_t max = r[0];
	con_puts("I vendor ");
	con_puts(vendor);
	con_nl();
	cpuid(1, 0, r);
	con_puts("I cpuid1");
	con_hex(r[0]);
	con_hex(r[2]);
	con_hex(r[3]);
	con_nl();
	if (max >= 7) {
		cpuid(7, 0, r);
		con_puts("I cpuid7");
		con_hex(r[1]);
		con_hex(r[2]);
		con_nl();
	}
	cpuid(0x80000000, 0, r);
	max_ext = r[0];
	if (max_ext >= 0x80000008) {
		cpuid(0x80000008, 0, r);
		con_puts("I cpuid80000008");
		con_hex(r[0]);
		con_nl();
	}
}

static void report_msr(uint32_t msr, uint64_t *v)
{
	con_putc('P');
	con_hex(msr);
	if (safe_rdmsr(msr, v)) {
		con_hex(*v);
	} else {
		con_puts(" absent");
		*v = 0;
	}
	con_nl();
}

/* The profile; returns the VMCS revision identifier (0 without VMX). */
static uint32_t report_profile(void)
{
	uint64_t fc, v, basic = 0;
	report_cpu();
	report_msr(0x3a, &fc);
	for (uint32_t m = PROBE_MSR_FIRST; m <= PROBE_MSR_LAST; m++) {
		report_msr(m, &v);
		if (m == PROBE_MSR_FIRST)
			basic = v;
	}
	/* 0: no firmware ran (Bochs ROM boot): enable VMX outside SMX and
	 * lock.  Any other value stays as firmware left it, unlocked or with
	 * VMX disabled too; the model starts from the same (refvmm.c) */
	if (fc == 0) {
		__asm__ volatile("wrmsr" :: "c"(0x3a), "a"((uint32_t)TM_L1_FEATURE_CONTROL), "d"(0));
	}
	return (uint32_t)basic & 0x7fffffff;
}

static const struct probe_batch_hdr *find_batch(uint32_t magic, const struct mb_info *mb)
{
	if (magic == PROBE_ROM_BOOT)
		return (const void *)(uintptr_t)PROBE_BATCH_ADDR;
	if (magic != 0x2badb002 || !(mb->flags & 8) || mb->mods_count == 0)
		return NULL;
	const struct mb_module *mod = (const void *)(uintptr_t)mb->mods_addr;
	uint32_t len = mod->end - mod->start;
	if (len > PROBE_BATCH_MAX)
		return NULL;
	/* the loader may have put it where the test machine lives: move it */
	memmove((void *)(uintptr_t)PROBE_BATCH_ADDR, (void *)(uintptr_t)mod->start, len);
	return (const void *)(uintptr_t)PROBE_BATCH_ADDR;
}

static void fail(const char *why)
{
	con_puts("E ");
	con_puts(why);
	con_nl();
}

/* Runs one case; returns the byte size it occupies, 0 when malformed. */
static size_t run_case(const uint8_t *p, const uint8_t *end, uint32_t revision)
{
	const struct probe_case_hdr *h = (const void *)p;
	if ((size_t)(end - p) < sizeof *h || h->magic != PROBE_CASE_MAGIC)
		return 0;
	const struct probe_op *op = (const void *)(h + 1);
	const struct probe_op *lim = (const void *)end;
	con_puts("C");
	con_hex(h->id);
	con_puts(" begin\n");
	safe_vmxoff();
	tm_build(revision);
	tm_load_l1();
	case_reset();
	for (uint32_t i = 0; i < h->nops; i++) {
		if (op >= lim || op->nblock > (uint32_t)(lim - op - 1))
			return 0;
		const struct probe_op *block = op->op == OP_GUEST ? op + 1 : NULL;
		op_run(h->id, i, op, block);
		op += 1 + (op->op == OP_GUEST ? op->nblock : 0);
	}
	con_puts("C");
	con_hex(h->id);
	con_puts(" end\n");
	return (size_t)((const uint8_t *)op - p);
}

void kmain(uint32_t magic, const struct mb_info *mb);
void kmain(uint32_t magic, const struct mb_info *mb)
{
	con_init(magic != PROBE_ROM_BOOT);
	con_nl();
	/* first, before the test machine is written over wherever the
	 * loader may have put the module */
	const struct probe_batch_hdr *b = find_batch(magic, mb);
	uint32_t r[4], revision = 0;
	cpuid(1, 0, r);
	tm_build(0);
	int vmx = r[2] >> 5 & 1;
	if (vmx) {
		tm_load_l1();
		revision = report_profile();
	} else {
		report_cpu();
	}
	if (!b || b->magic != PROBE_MAGIC || b->version != PROBE_VERSION ||
	    b->size < sizeof *b || b->size > PROBE_BATCH_MAX) {
		fail("no batch");
		goto out;
	}
	con_puts("B");
	con_hex(b->ncases);
	con_nl();
	if (!vmx) {
		/* CPUID.1:ECX.VMX clear: no VT-x here, CR4.VMXE would #GP (SDM 23.6) */
		fail("no VMX: CPUID.1:ECX[5] is clear");
		goto out;
	}
	if (b->flags & PROBE_F_PROFILE_ONLY)
		goto out;
	const uint8_t *p = (const uint8_t *)(b + 1), *end = (const uint8_t *)b + b->size;
	for (uint32_t c = 0; c < b->ncases; c++) {
		size_t n = run_case(p, end, revision);
		if (!n) {
			fail("malformed case");
			break;
		}
		p += n;
	}
	safe_vmxoff();
out:
	con_puts("DONE\n");
	probe_shutdown();
}
