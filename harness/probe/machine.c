/* The fixed test machine (refvmm/testmachine.h), rebuilt before every
 * case so each case starts from the same memory and L1 state as the model
 * (refvmm/testmachine.c).  Probe-specific deviations, both outside the
 * case-visible contents the header lists: the host IDT's gates point at
 * this kernel's stubs, and TM_HOST_RIP holds a jump to vmexit_entry. */
#include "probe.h"

#define Q(a) ((volatile uint64_t *)(uintptr_t)(a))

static void gate(uint64_t at, uint64_t target)
{
	Q(at)[0] = TM_GATE_LOW(target);
	Q(at)[1] = target >> 32;
}

static void build_tables(void)
{
	static const uint64_t gdt[8] = {
		0, TM_GDT_CODE64, TM_GDT_DATA, TM_GDT_CODE32,
		0, 0,   /* TSS, below */
		TM_GDT_USER_DATA, TM_GDT_USER_CODE64,
	};
	memcpy((void *)TM_GDT, gdt, sizeof gdt);
	/* 64-bit available TSS (type 9); LTR marks it busy (type 11) */
	Q(TM_GDT)[4] = TM_TSS_LIMIT | (uint64_t)(TM_TSS & 0xffffff) << 16 |
		       0x89ULL << 40 | (uint64_t)(TM_TSS >> 24 & 0xff) << 56;
	Q(TM_GDT)[5] = 0;
	*(volatile uint64_t *)(TM_TSS + 4) = TM_HOST_RSP;    /* RSP0, for faults at CPL 3 */
	*(volatile uint16_t *)(TM_TSS + 0x66) = TM_TSS_LIMIT + 1;  /* no I/O bitmap */
	for (uint64_t n = 0; n < 256; n++) {
		gate(TM_IDT + 16 * n, (uint64_t)(uintptr_t)isr_table + 16 * n);
		gate(TM_GUEST_IDT + 16 * n, TM_GUEST_IDT_STUBS + TM_GUEST_STUB_SIZE * n);
		uint8_t *stub = (uint8_t *)(uintptr_t)(TM_GUEST_IDT_STUBS + TM_GUEST_STUB_SIZE * n);
		memset(stub, 0xf4, TM_GUEST_STUB_SIZE);
		memcpy(stub, TM_GUEST_STUB_BYTES, sizeof TM_GUEST_STUB_BYTES - 1);
	}
}

static void build_paging(void)
{
	Q(TM_PAGE_TABLES)[0] = (TM_PAGE_TABLES + 0x1000) | TM_PTE_DIR;
	Q(TM_PAGE_TABLES + 0x1000)[0] = (TM_PAGE_TABLES + 0x2000) | TM_PTE_DIR;
	Q(TM_EPT_ROOT)[0] = TM_EPT_PDPT | TM_EPTE_DIR;
	Q(TM_EPT_PDPT)[0] = TM_EPT_PD | TM_EPTE_DIR;
	Q(TM_L1_PAE_PDPT)[0] = (TM_PAGE_TABLES + 0x2000) | TM_PDPTE_PAE;
	for (uint64_t i = 0; i < 512; i++) {
		if (i) {
			Q(TM_PAGE_TABLES)[i] = 0;
			Q(TM_PAGE_TABLES + 0x1000)[i] = 0;
		}
		Q(TM_PAGE_TABLES + 0x2000)[i] = i << 21 | TM_PTE_2M;
		Q(TM_EPT_PD)[i] = i << 21 | TM_EPTE_2M;
		Q(TM_PT_4K)[i] = (TM_PT_4K_BASE + (i << 12)) | TM_PTE_4K;
		Q(TM_EPT_PT_4K)[i] = (TM_PT_4K_BASE + (i << 12)) | TM_EPTE_4K;
	}
}

/* HOST_RIP of every VMCS is TM_HOST_RIP: jmp *0(%rip); .quad vmexit_entry */
static void build_exit_jump(void)
{
	uint8_t *p = (uint8_t *)TM_HOST_RIP;
	static const uint8_t jmp[6] = { 0xff, 0x25, 0, 0, 0, 0 };
	memcpy(p, jmp, sizeof jmp);
	*(uint64_t *)(p + 6) = (uint64_t)(uintptr_t)vmexit_entry;
}

/* Pages that may differ from the fixed contents: everything at first;
 * then what each case's operations may have written (exec.c marks them:
 * instruction operands, write32/64 targets, the guest code, and all of
 * it after any VM entry, since L2 can write anywhere).  Rewriting only
 * those keeps a simple case ~10x cheaper in Bochs than a full rewrite. */
#define TM_LO TM_VMXON_REGION
#define TM_HI (TM_SCRATCH + TM_SCRATCH_SIZE)
#define TM_NPAGES ((TM_HI - TM_LO) >> 12)
static uint8_t dirty[TM_NPAGES];

void tm_dirty(uint64_t addr, uint64_t len)
{
	if (addr >= TM_HI || addr + len <= TM_LO || addr + len < addr) {
		if (addr + len < addr)
			tm_dirty_all();
		return;
	}
	uint64_t a = addr < TM_LO ? TM_LO : addr, e = addr + len > TM_HI ? TM_HI : addr + len;
	for (uint64_t p = (a - TM_LO) >> 12; p <= (e - 1 - TM_LO) >> 12; p++)
		dirty[p] = 1;
}

void tm_dirty_all(void)
{
	memset(dirty, 1, sizeof dirty);
}

static int was_dirty(uint64_t addr, uint64_t len)
{
	for (uint64_t p = (addr - TM_LO) >> 12; p <= (addr + len - 1 - TM_LO) >> 12; p++)
		if (dirty[p])
			return 1;
	return 0;
}

void tm_build(uint32_t revision)
{
	static uint32_t built_rev = ~0u;
	if (revision != built_rev)
		tm_dirty_all();
	built_rev = revision;
	/* zero the dirty pages but the page tables, live or linkable by a
	 * case (a 4-KByte table), which build_paging() rewrites entry by entry */
	for (uint64_t p = 0; p < TM_NPAGES; p++) {
		uint64_t at = TM_LO + (p << 12);
		if (dirty[p] && (at < TM_PAGE_TABLES || at >= TM_PAGE_TABLES + 0x3000) &&
		    at != TM_PT_4K && at != TM_EPT_PT_4K)
			memset((void *)(uintptr_t)at, 0, 4096);
	}
	static const uint64_t rev_at[] = { TM_VMXON_REGION, TM_VMCS0, TM_VMCS1, TM_SHADOW_VMCS };
	for (unsigned i = 0; i < 4; i++)
		*(volatile uint32_t *)(uintptr_t)rev_at[i] = revision & 0x7fffffff;
	if (was_dirty(TM_GDT, TM_GUEST_IDT_STUBS + 0x1000 - TM_GDT))
		build_tables();
	if (was_dirty(TM_EPT_ROOT, 0x3000) || was_dirty(TM_PAGE_TABLES, 0x3000) ||
	    was_dirty(TM_L1_PAE_PDPT, 0x1000) || was_dirty(TM_PT_4K, 0x1000) ||
	    was_dirty(TM_EPT_PT_4K, 0x1000))
		build_paging();
	if (was_dirty(TM_HOST_RIP, 16))
		build_exit_jump();
	memset(dirty, 0, sizeof dirty);
}

static void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* L1 state of testmachine.h; also undoes what a VM exit's host-state load
 * left (GDTR/IDTR limits 0xffff, segment registers from the VMCS). */
void tm_load_l1(void)
{
	struct __attribute__((packed)) { uint16_t lim; uint64_t base; }
		gdtr = { TM_GDT_LIMIT, TM_GDT }, idtr = { TM_IDT_LIMIT, TM_IDT };
	__asm__ volatile("lgdt %0; lidt %1" :: "m"(gdtr), "m"(idtr));
	Q(TM_GDT)[4] &= ~(2ULL << 40);    /* LTR wants it available; it leaves it busy */
	__asm__ volatile("ltr %w0" :: "r"((uint16_t)TM_SEL_TSS));
	__asm__ volatile(
		"pushq %0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:\n\t"
		"movw %w1, %%ds; movw %w1, %%es; movw %w1, %%ss; movw %w1, %%fs; movw %w1, %%gs"
		:: "i"(TM_SEL_CODE64), "r"(TM_SEL_DATA) : "rax", "memory");
	wrmsr(0xc0000100, 0);    /* FS.base */
	wrmsr(0xc0000101, 0);    /* GS.base */
	__asm__ volatile("mov %0, %%cr0" :: "r"(TM_L1_CR0));
	__asm__ volatile("mov %0, %%cr4" :: "r"(TM_L1_CR4));
	__asm__ volatile("mov %0, %%cr3" :: "r"((uint64_t)TM_L1_CR3) : "memory");
	wrmsr(0xc0000080, TM_L1_EFER);
	wrmsr(0x277, TM_L1_PAT);
	__asm__ volatile("mov %0, %%dr7" :: "r"(TM_L1_DR7));
	__asm__ volatile("pushq %0; popfq" :: "r"(TM_L1_RFLAGS) : "cc");
}

/* `cpl 3`: the identity map is supervisor-only, so the page-directory
 * entries over the probe's first 2 MiB (code, user stack, struct xop)
 * get U/S for the one operation, and lose it right after. */
void tm_user_pages(int on)
{
	static const uint64_t at[3] = { TM_PAGE_TABLES, TM_PAGE_TABLES + 0x1000, TM_PAGE_TABLES + 0x2000 };
	for (unsigned i = 0; i < 3; i++)
		Q(at[i])[0] = on ? Q(at[i])[0] | 4 : Q(at[i])[0] & ~4ULL;
	__asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::: "rax", "memory");
}
