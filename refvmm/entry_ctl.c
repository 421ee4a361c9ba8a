/* SDM 26.2.1: checks on the VM-execution, VM-exit and VM-entry control
 * fields.  Every check runs (no early return): vmentry() reports the set of
 * fired rules.  Failure of any: VMfailValid(7). */
#include "entry_priv.h"
#include "ept.h"

#define V(f) vmcs_rd(m, d, VF_##f)

/* A.3-A.5: allowed-0 / allowed-1 settings of one control field. */
#define CTL_SETTINGS(kind, val, ID0, ID1) do { \
	uint64_t v_ = (val); \
	CHECK(m, ID0, (v_ & cc->must1[kind]) == cc->must1[kind]); \
	CHECK(m, ID1, !(v_ & ~cc->may1[kind])); \
} while (0)

static void settings(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	const struct caps_cache *cc = ecaps(m);
	uint32_t proc = (uint32_t)V(CPU_BASED_VM_EXEC_CONTROL);
	CTL_SETTINGS(CTL_PIN, (uint32_t)V(PIN_BASED_VM_EXEC_CONTROL),
		     ENTRY_CTL_PIN_ALLOWED0, ENTRY_CTL_PIN_ALLOWED1);
	CTL_SETTINGS(CTL_PROC, proc, ENTRY_CTL_PROC_ALLOWED0, ENTRY_CTL_PROC_ALLOWED1);
	if (proc & PROC_SECONDARY)
		CTL_SETTINGS(CTL_PROC2, (uint32_t)V(SECONDARY_VM_EXEC_CONTROL),
			     ENTRY_CTL_PROC2_ALLOWED0, ENTRY_CTL_PROC2_ALLOWED1);
	/* A.3.4: IA32_VMX_PROCBASED_CTLS3 reports allowed-1 settings only */
	if (proc & PROC_TERTIARY)
		CHECK(m, ENTRY_CTL_PROC3_ALLOWED1, !(V(TERTIARY_VM_EXEC_CONTROL) & ~cc->may1[CTL_PROC3]));
	CTL_SETTINGS(CTL_EXIT, (uint32_t)V(VM_EXIT_CONTROLS), ENTRY_CTL_EXIT_ALLOWED0, ENTRY_CTL_EXIT_ALLOWED1);
	CTL_SETTINGS(CTL_ENTRY, (uint32_t)V(VM_ENTRY_CONTROLS), ENTRY_CTL_ENTRY_ALLOWED0, ENTRY_CTL_ENTRY_ALLOWED1);
}

/* A 4-KByte-aligned structure within the physical-address width. */
#define PAGE_ADDR(a, ALIGN_ID, ADDR_ID) do { \
	uint64_t a_ = (a); \
	CHECK(m, ALIGN_ID, !(a_ & 0xfff)); \
	CHECK(m, ADDR_ID, addr_ok(m, a_)); \
} while (0)

/* 26.2.1.1: CR3 targets, I/O and MSR bitmaps. */
static void bitmaps(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	uint32_t p = eproc(m, d);
	CHECK(m, ENTRY_CTL_CR3_TARGET_COUNT,
	      V(CR3_TARGET_COUNT) <= ((m->caps.msr[CAP_MISC] >> 16) & 0x1ff));
	if (p & PROC_IO_BITMAPS) {
		PAGE_ADDR(V(IO_BITMAP_A), ENTRY_CTL_IO_BITMAP_A_ALIGN, ENTRY_CTL_IO_BITMAP_A_ADDR);
		PAGE_ADDR(V(IO_BITMAP_B), ENTRY_CTL_IO_BITMAP_B_ALIGN, ENTRY_CTL_IO_BITMAP_B_ADDR);
	}
	if (p & PROC_MSR_BITMAPS)
		PAGE_ADDR(V(MSR_BITMAP), ENTRY_CTL_MSR_BITMAP_ALIGN, ENTRY_CTL_MSR_BITMAP_ADDR);
}

/* 26.2.1.1: TPR shadow and the APIC-virtualization controls. */
static void apic(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	uint32_t p = eproc(m, d), p2 = eproc2(m, d), pin = (uint32_t)V(PIN_BASED_VM_EXEC_CONTROL);
	if (p & PROC_TPR_SHADOW) {
		uint64_t va = V(VIRTUAL_APIC_PAGE_ADDR);
		PAGE_ADDR(va, ENTRY_CTL_VIRTUAL_APIC_ALIGN, ENTRY_CTL_VIRTUAL_APIC_ADDR);
		uint32_t thr = (uint32_t)V(TPR_THRESHOLD);
		if (!(p2 & P2_VID))
			CHECK(m, ENTRY_CTL_TPR_THRESHOLD_RESERVED, !(thr & ~0xfu));
		if (!(p2 & (P2_VID | P2_APIC_ACCESS)) && !(va & 0xfff) && addr_ok(m, va)) {
			uint8_t vtpr = (uint8_t)mem_read64(&m->mem, va + 0x80);
			CHECK(m, ENTRY_CTL_TPR_THRESHOLD_VTPR, (thr & 0xf) <= (uint32_t)(vtpr >> 4));
		}
	} else {
		CHECK(m, ENTRY_CTL_X2APIC_NEEDS_TPR_SHADOW, !(p2 & P2_X2APIC));
		CHECK(m, ENTRY_CTL_APIC_REG_VIRT_NEEDS_TPR_SHADOW, !(p2 & P2_APIC_REG));
		CHECK(m, ENTRY_CTL_VID_NEEDS_TPR_SHADOW, !(p2 & P2_VID));
	}
	CHECK(m, ENTRY_CTL_VNMI_NEEDS_NMI_EXITING, !(pin & PIN_VNMI) || (pin & PIN_NMI));
	CHECK(m, ENTRY_CTL_NMI_WINDOW_NEEDS_VNMI, !(p & PROC_NMI_WINDOW) || (pin & PIN_VNMI));
	if (p2 & P2_APIC_ACCESS)
		PAGE_ADDR(V(APIC_ACCESS_ADDR), ENTRY_CTL_APIC_ACCESS_ALIGN, ENTRY_CTL_APIC_ACCESS_ADDR);
	CHECK(m, ENTRY_CTL_X2APIC_VS_APIC_ACCESS, !(p2 & P2_X2APIC) || !(p2 & P2_APIC_ACCESS));
	CHECK(m, ENTRY_CTL_VID_NEEDS_EXT_INT_EXITING, !(p2 & P2_VID) || (pin & PIN_EXT_INT));
	if (pin & PIN_POSTED) {
		uint64_t desc = V(POSTED_INTR_DESC_ADDR);
		CHECK(m, ENTRY_CTL_PI_NEEDS_VID, p2 & P2_VID);
		CHECK(m, ENTRY_CTL_PI_NEEDS_ACK_ON_EXIT, V(VM_EXIT_CONTROLS) & EXITC_ACK_INTR);
		CHECK(m, ENTRY_CTL_PI_VECTOR, !(V(POSTED_INTR_NV) & 0xff00));
		CHECK(m, ENTRY_CTL_PI_DESC_ALIGN, !(desc & 0x3f));
		CHECK(m, ENTRY_CTL_PI_DESC_ADDR, addr_ok(m, desc));
	}
}

/* 28.2.6: the EPT pointer against IA32_VMX_EPT_VPID_CAP (A.10); the
 * checks themselves are eptp_faults() (ept.c), shared with INVEPT. */
static void eptp(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	unsigned f = eptp_faults(&m->caps, V(EPT_POINTER));
	CHECK(m, ENTRY_CTL_EPTP_MEMTYPE, !(f & EPTP_BAD_MEMTYPE));
	CHECK(m, ENTRY_CTL_EPTP_WALK_LENGTH, !(f & EPTP_BAD_WALK));
	CHECK(m, ENTRY_CTL_EPTP_AD, !(f & EPTP_BAD_AD));
	CHECK(m, ENTRY_CTL_EPTP_RESERVED, !(f & EPTP_BAD_RESERVED));
}

/* 26.2.1.1: VPID, EPT and the controls that need EPT, PML, VM functions,
 * VMCS shadowing, #VE, sub-page permissions. */
static void ept(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	uint32_t p2 = eproc2(m, d);
	if (p2 & P2_VPID)
		CHECK(m, ENTRY_CTL_VPID_NONZERO, V(VIRTUAL_PROCESSOR_ID) != 0);
	if (p2 & P2_EPT)
		eptp(m);
	bool ept = p2 & P2_EPT;
	if (p2 & P2_PML) {
		CHECK(m, ENTRY_CTL_PML_NEEDS_EPT, ept);
		PAGE_ADDR(V(PML_ADDRESS), ENTRY_CTL_PML_ALIGN, ENTRY_CTL_PML_ADDR);
	}
	if (p2 & P2_VMFUNC) {
		uint64_t f = V(VM_FUNCTION_CONTROL);
		CHECK(m, ENTRY_CTL_VMFUNC_CONTROLS, !(f & ~m->caps.msr[CAP_VMFUNC]));
		if (f & 1) {
			CHECK(m, ENTRY_CTL_VMFUNC_EPTP_SWITCH_NEEDS_EPT, ept);
			PAGE_ADDR(V(EPTP_LIST_ADDRESS), ENTRY_CTL_EPTP_LIST_ALIGN, ENTRY_CTL_EPTP_LIST_ADDR);
		}
	}
	if (p2 & P2_SHADOW) {
		PAGE_ADDR(V(VMREAD_BITMAP), ENTRY_CTL_VMREAD_BITMAP_ALIGN, ENTRY_CTL_VMREAD_BITMAP_ADDR);
		PAGE_ADDR(V(VMWRITE_BITMAP), ENTRY_CTL_VMWRITE_BITMAP_ALIGN, ENTRY_CTL_VMWRITE_BITMAP_ADDR);
	}
	if (p2 & P2_VE)
		PAGE_ADDR(V(VE_INFORMATION_ADDRESS), ENTRY_CTL_VE_INFO_ALIGN, ENTRY_CTL_VE_INFO_ADDR);
	CHECK(m, ENTRY_CTL_UNRESTRICTED_NEEDS_EPT, !(p2 & P2_UNRESTRICTED) || ept);
	CHECK(m, ENTRY_CTL_MBEC_NEEDS_EPT, !(p2 & P2_MBEC) || ept);
	if (p2 & P2_SPP) {
		CHECK(m, ENTRY_CTL_SPP_NEEDS_EPT, ept);
		uint64_t s = V(SPPT_POINTER);
		CHECK(m, ENTRY_CTL_SPPTP_ADDR, !(s & 0xfff) && !(s & ecaps(m)->phys_mask));
	}
	CHECK(m, ENTRY_CTL_TSC_MULTIPLIER, !(p2 & P2_TSC_SCALING) || V(TSC_MULTIPLIER) != 0);
}

/* An MSR area of count 16-byte entries (26.2.1.2, 26.2.1.3). */
#define MSR_AREA(a, n, ALIGN_ID, ADDR_ID) do { \
	uint64_t a_ = (a), n_ = (n); \
	if (n_) { \
		CHECK(m, ALIGN_ID, !(a_ & 0xf)); \
		CHECK(m, ADDR_ID, addr_ok(m, a_) && addr_ok(m, a_ + n_ * 16 - 1)); \
	} \
} while (0)

/* 26.2.1.2: VM-exit control fields. */
static void exit_ctls(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	uint32_t x = (uint32_t)V(VM_EXIT_CONTROLS);
	CHECK(m, ENTRY_CTL_SAVE_TIMER_NEEDS_TIMER,
	      !(x & EXIT_SAVE_TIMER) || (V(PIN_BASED_VM_EXEC_CONTROL) & PIN_TIMER));
	MSR_AREA(V(VM_EXIT_MSR_STORE_ADDR), V(VM_EXIT_MSR_STORE_COUNT),
		 ENTRY_CTL_EXIT_MSR_STORE_ALIGN, ENTRY_CTL_EXIT_MSR_STORE_ADDR);
	MSR_AREA(V(VM_EXIT_MSR_LOAD_ADDR), V(VM_EXIT_MSR_LOAD_COUNT),
		 ENTRY_CTL_EXIT_MSR_LOAD_ALIGN, ENTRY_CTL_EXIT_MSR_LOAD_ADDR);
}

/* 26.2.1.3: the VM-entry interruption-information field (Table 24-17). */
static void event(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	uint32_t info = (uint32_t)V(VM_ENTRY_INTR_INFO_FIELD);
	if (!(info & (1u << 31)))
		return;
	unsigned type = (info >> 8) & 7, vec = info & 0xff;
	bool errc = info & (1u << 11);
	bool mtf = (ecaps(m)->may1[CTL_PROC] >> 27) & 1;
	CHECK(m, ENTRY_CTL_EVENT_TYPE, type != 1 && (type != 7 || mtf));
	if (type == IT_NMI)
		CHECK(m, ENTRY_CTL_EVENT_NMI_VECTOR, vec == 2);
	if (type == IT_HW_EXC)
		CHECK(m, ENTRY_CTL_EVENT_HW_EXC_VECTOR, vec <= 31);
	if (type == IT_OTHER)
		CHECK(m, ENTRY_CTL_EVENT_OTHER_VECTOR, vec == 0);
	bool pe = !(eproc2(m, d) & P2_UNRESTRICTED) || (V(GUEST_CR0) & 1);
	bool errvec = vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21;
	/* A.1: IA32_VMX_BASIC[56] = 1 lets any hardware exception be injected
	 * with or without an error code (no vector checks) */
	bool any = caps_has(&m->caps, FEAT_NO_ERRCODE_CHECK);
	if (errc) {
		CHECK(m, ENTRY_CTL_EVENT_ERR_CODE_PE, pe);
		CHECK(m, ENTRY_CTL_EVENT_ERR_CODE_TYPE, type == IT_HW_EXC);
		CHECK(m, ENTRY_CTL_EVENT_ERR_CODE_VECTOR, errvec || any);
		CHECK(m, ENTRY_CTL_EVENT_ERR_CODE_RESERVED, !(V(VM_ENTRY_EXCEPTION_ERROR_CODE) & 0xffff0000u));
	} else {
		CHECK(m, ENTRY_CTL_EVENT_ERR_CODE_MISSING, any || !(pe && type == IT_HW_EXC && errvec));
	}
	CHECK(m, ENTRY_CTL_EVENT_RESERVED, !(info & 0x7ffff000u));
	if (type == IT_SW_INT || type == IT_PRIV_SW_EXC || type == IT_SW_EXC) {
		uint64_t len = V(VM_ENTRY_INSTRUCTION_LEN);
		bool zero_ok = m->caps.msr[CAP_MISC] & (1u << 30);
		CHECK(m, ENTRY_CTL_EVENT_INSN_LEN, (len >= 1 || zero_ok) && len <= 15);
	}
}

/* 26.2.1.3: VM-entry control fields.  The model never runs in SMM. */
static void entry_ctls(struct refvmm *m)
{
	const uint8_t *d = vmcs_cached(m);
	uint32_t en = (uint32_t)V(VM_ENTRY_CONTROLS);
	event(m);
	MSR_AREA(V(VM_ENTRY_MSR_LOAD_ADDR), V(VM_ENTRY_MSR_LOAD_COUNT),
		 ENTRY_CTL_ENTRY_MSR_LOAD_ALIGN, ENTRY_CTL_ENTRY_MSR_LOAD_ADDR);
	CHECK(m, ENTRY_CTL_ENTRY_SMM, !(en & ENTRYC_SMM));
	CHECK(m, ENTRY_CTL_DEACTIVATE_DUAL_MONITOR, !(en & ENTRYC_DUAL_MONITOR));
}

void entry_check_controls(struct refvmm *m)
{
	settings(m);
	bitmaps(m);
	apic(m);
	ept(m);
	exit_ctls(m);
	entry_ctls(m);
}
