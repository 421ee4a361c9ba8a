/* Virtualized accesses to the APIC-access page (guest_apic.c, guest_mem.c):
 * which data accesses "use TPR shadow" virtualizes (SDM 29.4.2, 29.4.3.1),
 * APIC-write emulation and the APIC-write exit (29.4.3.2, 29.4.3.3), the
 * 4-KByte translation 29.4.5 asks for, and the APIC-access address being
 * the physical address after EPT.  The offset lists below are the SDM's,
 * written out, not derived from the model's tables. */
#include <string.h>
#include "suites.h"
#include "l2_fixture.h"

#define VAPIC TM_VIRTUAL_APIC
#define APIC TM_APIC_ACCESS
#define P2_APIC_ACCESS 1u
#define P2_EPT (1u << 1)
#define P2_APIC_REG (1u << 8)
#define P2_VID (1u << 9)
#define PIN_EXT_INT 1u

static struct refvmm *m;
static struct result res;

static void setup(void)
{
	m = l2_machine();
	gw(m, VF_CPU_BASED_VM_EXEC_CONTROL, PROC_TPR_SHADOW | PROC_SECONDARY);
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, P2_APIC_ACCESS);
	gw(m, VF_VIRTUAL_APIC_PAGE_ADDR, VAPIC);
	gw(m, VF_APIC_ACCESS_ADDR, APIC);
	/* 4-KByte translations over the test machine's 2 MiB (29.4.5) */
	ck_assert(mem_write64(&m->mem, TM_PAGE_TABLES + 0x2000 + 8 * 2, TM_PT_4K | TM_PTE_DIR));
}

static void teardown(void)
{
	refvmm_destroy(m);
}

static void controls(uint32_t p2)
{
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, P2_APIC_ACCESS | p2);
	gw(m, VF_PIN_BASED_VM_EXEC_CONTROL, p2 & P2_VID ? PIN_EXT_INT : 0);
}

static void run1(uint16_t op, uint64_t a0, uint64_t a1)
{
	struct rop b[] = { { .op = op, .a = { a0, a1 } } };
	struct cpu_state l2 = l2_entry_state();
	l2.rflags = 2;
	gw(m, VF_GUEST_RIP, l2.rip);   /* what a launch loads (guest_mem.c fetch_code) */
	l2_run(m, &res, b, 1, &l2);
}

static bool exited(uint32_t reason)
{
	return res.nalt == 1 && res.alt[0].kind == OUT_EXIT && res.alt[0].num == reason;
}

/* One 4-byte access: virtualized (no APIC-access exit; a read goes on to
 * the block's VMCALL) or an APIC-access exit, fault-like, with
 * qualification offset | type << 12. */
static bool virtualized(uint16_t op, uint32_t off)
{
	bool write = op == OP_G_WRITE32;
	run1(op, APIC + off, 0);
	if (!exited(XR_APIC_ACCESS)) {
		ck_assert_msg(write || exited(XR_VMCALL), "offset %#x: a read neither virtualized nor exiting", off);
		return true;
	}
	ck_assert_uint_eq(gv(m, VF_EXIT_QUALIFICATION), off | (write ? 0x1000u : 0));
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), TM_GUEST_CODE + (write ? 20 : 10));
	return false;
}

static bool listed(const uint32_t *l, size_t n, uint32_t off)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] == off)
			return true;
	return false;
}

/* Every 16-byte slot of the first 1 KiB, and a few beyond it. */
static void check_offsets(uint16_t op, const uint32_t *l, size_t n)
{
	for (uint32_t off = 0; off < 0x400; off += 0x10)
		ck_assert_msg(virtualized(op, off) == listed(l, n, off), "offset %#x", off);
	ck_assert(!virtualized(op, 0x400));
	ck_assert(!virtualized(op, 0xff0));
}

/* 29.4.2: ID, version, TPR, EOI, LDR, DFR, SVR, ISR, TMR, IRR, ESR, ICR,
 * LVT, initial count, divide configuration. */
static const uint32_t read_regs[] = {
	0x020, 0x030, 0x080, 0x0b0, 0x0d0, 0x0e0, 0x0f0,
	0x100, 0x110, 0x120, 0x130, 0x140, 0x150, 0x160, 0x170,
	0x180, 0x190, 0x1a0, 0x1b0, 0x1c0, 0x1d0, 0x1e0, 0x1f0,
	0x200, 0x210, 0x220, 0x230, 0x240, 0x250, 0x260, 0x270,
	0x280, 0x300, 0x310, 0x320, 0x330, 0x340, 0x350, 0x360, 0x370, 0x380, 0x3e0,
};
/* 29.4.3.1: ID, TPR, EOI, LDR, DFR, SVR, ESR, ICR, LVT, initial count,
 * divide configuration. */
static const uint32_t write_regs[] = {
	0x020, 0x080, 0x0b0, 0x0d0, 0x0e0, 0x0f0, 0x280,
	0x300, 0x310, 0x320, 0x330, 0x340, 0x350, 0x360, 0x370, 0x380, 0x3e0,
};
static const uint32_t tpr_only[] = { 0x080 };
static const uint32_t vid_writes[] = { 0x080, 0x0b0, 0x300 };

START_TEST(read_offsets)
{
	check_offsets(OP_G_READ32, tpr_only, 1);
	controls(P2_VID);
	check_offsets(OP_G_READ32, tpr_only, 1);
	controls(P2_APIC_REG);
	check_offsets(OP_G_READ32, read_regs, sizeof read_regs / sizeof *read_regs);
}
END_TEST

START_TEST(write_offsets)
{
	/* VTPR at 0x80 before each write stays >= threshold 0: no TPR exit */
	check_offsets(OP_G_WRITE32, tpr_only, 1);
	controls(P2_VID);
	/* an EOI with nothing in service: SVI 0, no EOI-exit bit set */
	check_offsets(OP_G_WRITE32, vid_writes, 3);
	controls(P2_APIC_REG);
	check_offsets(OP_G_WRITE32, write_regs, sizeof write_regs / sizeof *write_regs);
}
END_TEST

/* 29.4.2: the data comes from the virtual-APIC page; a read that leaves
 * the low 4 bytes of its slot or exceeds 32 bits exits, as does one at a
 * register offset the controls do not virtualize. */
START_TEST(read_returns_virtual_apic)
{
	ck_assert(mem_write32(&m->mem, VAPIC + 0x80, 0x12345678));
	ck_assert(mem_write32(&m->mem, APIC + 0x80, 0xdeadbeef));
	run1(OP_G_READ32, APIC + 0x80, 0);
	ck_assert(exited(XR_VMCALL));   /* (EAX, 0x12345678, is L2's alone) */
	ck_assert(l2_fired(&res, R_APIC_ACCESS_READ_VIRT));
	run1(OP_G_READ32, APIC + 0x81, 0);
	ck_assert(exited(XR_APIC_ACCESS) && l2_fired(&res, R_APIC_ACCESS_SIZE));
	run1(OP_G_READ32, APIC + 0xb0, 0);
	ck_assert(exited(XR_APIC_ACCESS) && l2_fired(&res, R_APIC_ACCESS_READ_OFFSET));
	controls(P2_APIC_REG);
	run1(OP_G_READ32, APIC + 0x82, 0);
	ck_assert(exited(XR_APIC_ACCESS) && l2_fired(&res, R_APIC_ACCESS_SIZE));
	run1(OP_G_READ, APIC + 0x80, 0);
	ck_assert(exited(XR_APIC_ACCESS) && l2_fired(&res, R_APIC_ACCESS_SIZE));
}
END_TEST

/* 29.4.3.2 at 080H: the write lands on the virtual-APIC page, bytes 3:1
 * of VTPR are cleared, then TPR virtualization: below the threshold the
 * trap-like exit 43 (RIP after the store, 29.1.2). */
START_TEST(write_tpr)
{
	gw(m, VF_TPR_THRESHOLD, 3);
	ck_assert(mem_write32(&m->mem, VAPIC + 0x80, 0x50));
	run1(OP_G_WRITE32, APIC + 0x80, 0xffffff45);
	ck_assert(exited(XR_VMCALL));
	ck_assert_uint_eq(mem_read32(&m->mem, VAPIC + 0x80), 0x45);
	ck_assert_uint_eq(mem_read32(&m->mem, APIC + 0x80), 0);
	ck_assert(l2_fired(&res, R_APIC_ACCESS_WRITE_VIRT) && l2_fired(&res, R_APIC_WRITE_TPR));
	run1(OP_G_WRITE32, APIC + 0x80, 0x2f);
	ck_assert(exited(XR_TPR_BELOW_THRESHOLD));
	ck_assert_uint_eq(gv(m, VF_EXIT_QUALIFICATION), 0);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), TM_GUEST_CODE + 22);
	ck_assert_uint_eq(mem_read32(&m->mem, VAPIC + 0x80), 0x2f);
}
END_TEST

/* 29.4.3.2: other offsets; the APIC-write exit is trap-like with the page
 * offset as its qualification (29.4.3.3). */
START_TEST(write_emulation)
{
	controls(P2_APIC_REG);
	run1(OP_G_WRITE32, APIC + 0x380, 0x1000);
	ck_assert(exited(XR_APIC_WRITE));
	ck_assert_uint_eq(gv(m, VF_EXIT_QUALIFICATION), 0x380);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), TM_GUEST_CODE + 22);
	ck_assert_uint_eq(mem_read32(&m->mem, VAPIC + 0x380), 0x1000);
	ck_assert(l2_fired(&res, R_APIC_WRITE_EXIT));
	/* ICR high: bytes 2:0 cleared, no exit */
	run1(OP_G_WRITE32, APIC + 0x310, 0xffffffff);
	ck_assert(exited(XR_VMCALL) && l2_fired(&res, R_APIC_WRITE_ICR_HI));
	ck_assert_uint_eq(mem_read32(&m->mem, VAPIC + 0x310), 0xff000000);
	/* EOI and ICR low without virtual-interrupt delivery: APIC-write exits */
	run1(OP_G_WRITE32, APIC + 0xb0, 0);
	ck_assert(exited(XR_APIC_WRITE));
	ck_assert_uint_eq(gv(m, VF_EXIT_QUALIFICATION), 0xb0);
	run1(OP_G_WRITE32, APIC + 0x300, 0x40050);
	ck_assert(exited(XR_APIC_WRITE));
	ck_assert_uint_eq(gv(m, VF_EXIT_QUALIFICATION), 0x300);
}
END_TEST

/* 29.4.3.2 at 300H with virtual-interrupt delivery: only a fixed, edge,
 * self IPI with vector >= 16 and no reserved or delivery-status bit is
 * self-IPI virtualization (VIRR bit, RVI); anything else exits. */
START_TEST(write_self_ipi)
{
	controls(P2_VID);
	run1(OP_G_WRITE32, APIC + 0x300, 0x40050);
	ck_assert(exited(XR_VMCALL) && l2_fired(&res, R_APIC_WRITE_SELF_IPI));
	ck_assert_uint_eq(gv(m, VF_GUEST_INTR_STATUS), 0x50);
	ck_assert_uint_eq(mem_read32(&m->mem, VAPIC + 0x200 + 0x10 * 2), 1u << 16);   /* VIRR[0x50] */
	static const uint64_t refused[] = {
		0x50,           /* shorthand 00: destination field */
		0xc0050,        /* shorthand 11: all excluding self */
		0x4000f,        /* vector bits 7:4 zero */
		0x48050,        /* level-triggered (bit 15) */
		0x40150,        /* delivery mode 001 */
		0x41050,        /* delivery status (bit 12) */
		0x42050,        /* reserved bit 13 */
		0x50050,        /* reserved bit 16 */
		0x100040050,    /* (bit 32 is not stored: a 32-bit write) */
	};
	for (unsigned i = 0; i < sizeof refused / sizeof *refused; i++) {
		gw(m, VF_GUEST_INTR_STATUS, 0);
		run1(OP_G_WRITE32, APIC + 0x300, refused[i]);
		bool self = i == 8;
		ck_assert_msg(exited(self ? XR_VMCALL : XR_APIC_WRITE), "ICR %#llx", (unsigned long long)refused[i]);
		ck_assert_uint_eq(gv(m, VF_GUEST_INTR_STATUS), self ? 0x50 : 0);
	}
}
END_TEST

/* 29.4.3.2 at 0B0H with virtual-interrupt delivery: VEOI cleared, EOI
 * virtualization (29.1.4): the in-service vector leaves VISR, SVI drops,
 * and its EOI-exit-bitmap bit makes the trap-like exit 45. */
START_TEST(write_eoi)
{
	controls(P2_VID);
	gw(m, VF_GUEST_INTR_STATUS, 0x3000);
	gw(m, VF_EOI_EXIT_BITMAP0, 1ull << 0x30);
	ck_assert(mem_write32(&m->mem, VAPIC + 0x110, 1u << 16));   /* VISR[0x30] */
	run1(OP_G_WRITE32, APIC + 0xb0, 7);
	ck_assert(exited(XR_VIRTUALIZED_EOI) && l2_fired(&res, R_APIC_WRITE_EOI));
	ck_assert_uint_eq(gv(m, VF_EXIT_QUALIFICATION), 0x30);
	ck_assert_uint_eq(gv(m, VF_GUEST_RIP), TM_GUEST_CODE + 22);
	ck_assert_uint_eq(gv(m, VF_GUEST_INTR_STATUS), 0);
	ck_assert_uint_eq(mem_read32(&m->mem, VAPIC + 0x110), 0);
	ck_assert_uint_eq(mem_read32(&m->mem, VAPIC + 0xb0), 0);
}
END_TEST

/* 29.4.5: through a 2-MByte translation the access may act as if the
 * control were 0: unmodelled.  With EPT only the EPT leaf counts, and the
 * APIC-access address is compared with the address after EPT (24.6.8). */
START_TEST(page_size_and_ept)
{
	ck_assert(mem_write64(&m->mem, TM_PAGE_TABLES + 0x2000 + 8 * 2, (2ull << 21) | TM_PTE_2M));
	run1(OP_G_READ32, APIC + 0x80, 0);
	ck_assert_uint_eq(res.alt[0].kind, OUT_UNMODELLED);
	/* EPT with its 2-MByte identity map: still unmodelled */
	gw(m, VF_SECONDARY_VM_EXEC_CONTROL, P2_APIC_ACCESS | P2_EPT);
	gw(m, VF_EPT_POINTER, TM_EPT_ROOT | 6 | 3 << 3);
	run1(OP_G_READ32, APIC + 0x80, 0);
	ck_assert_uint_eq(res.alt[0].kind, OUT_UNMODELLED);
	/* a 4-KByte EPT table: the guest's 2-MByte page no longer matters */
	ck_assert(mem_write64(&m->mem, TM_EPT_PD + 8 * 2, TM_EPT_PT_4K | TM_EPTE_DIR));
	run1(OP_G_READ, APIC + 0x80, 0);
	ck_assert(exited(XR_APIC_ACCESS));
	/* guest-physical SCRATCH mapped onto the APIC-access page exits... */
	uint64_t scratch_pte = TM_EPT_PT_4K + 8 * ((TM_SCRATCH - TM_PT_4K_BASE) >> 12);
	ck_assert(mem_write64(&m->mem, scratch_pte, APIC | TM_EPTE_4K));
	run1(OP_G_READ, TM_SCRATCH + 0x30, 0);
	ck_assert(exited(XR_APIC_ACCESS));
	ck_assert_uint_eq(gv(m, VF_EXIT_QUALIFICATION), 0x30);
	/* ...and guest-physical APIC_ACCESS mapped elsewhere is memory */
	uint64_t apic_pte = TM_EPT_PT_4K + 8 * ((APIC - TM_PT_4K_BASE) >> 12);
	ck_assert(mem_write64(&m->mem, apic_pte, TM_SCRATCH | TM_EPTE_4K));
	run1(OP_G_READ, APIC + 0x30, 0);
	ck_assert(exited(XR_VMCALL));
}
END_TEST

static Suite *apic_page_suite(void)
{
	Suite *s = suite_create("apic_page");
	TCase *t = tcase_create("virtualized_accesses");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, read_offsets);
	tcase_add_test(t, write_offsets);
	tcase_add_test(t, read_returns_virtual_apic);
	tcase_add_test(t, write_tpr);
	tcase_add_test(t, write_emulation);
	tcase_add_test(t, write_self_ipi);
	tcase_add_test(t, write_eoi);
	tcase_add_test(t, page_size_and_ept);
	suite_add_tcase(s, t);
	return s;
}

SUITE_REGISTER(apic_page_suite)
