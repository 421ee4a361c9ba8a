/* The initial memory of the test machine, exactly as the comments of
 * testmachine.h describe it (the probe kernel builds the same).  Each page
 * is composed in a buffer and stored with one mem_write: a reset costs a
 * dozen page copies, not thousands of hashed 8-byte stores. */
#include <string.h>
#include "testmachine.h"
#include "tmbuild.h"

struct page { uint8_t b[MEM_PAGE]; };

static void put64(struct page *p, uint32_t off, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p->b[off + i] = (uint8_t)(v >> (8 * i));
}

static void put32(struct page *p, uint32_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p->b[off + i] = (uint8_t)(v >> (8 * i));
}

static int store(struct mem *mem, uint64_t pa, struct page *p)
{
	int r = mem_write(mem, pa, p->b, sizeof p->b);
	memset(p->b, 0, sizeof p->b);
	return r;
}

/* GDT with the TM_SEL_* descriptors and a busy 64-bit TSS (type 0xb, as
 * after LTR) whose RSP0 is TM_HOST_RSP and which has no I/O bitmap. */
static int gdt_tss(struct mem *mem, struct page *p)
{
	put64(p, TM_SEL_CODE64, TM_GDT_CODE64);
	put64(p, TM_SEL_DATA, TM_GDT_DATA);
	put64(p, TM_SEL_CODE32, TM_GDT_CODE32);
	put64(p, TM_SEL_USER_DATA & ~7, TM_GDT_USER_DATA);
	put64(p, TM_SEL_USER_CODE64 & ~7, TM_GDT_USER_CODE64);
	uint64_t b = TM_TSS;
	put64(p, TM_SEL_TSS, TM_TSS_LIMIT | (b & 0xffffff) << 16 | 0x8bULL << 40 | (b >> 24 & 0xff) << 56);
	put64(p, TM_SEL_TSS + 8, b >> 32);
	if (store(mem, TM_GDT, p))
		return -1;
	put64(p, 4, TM_HOST_RSP);
	put32(p, 0x64, 0x68u << 16);
	return store(mem, TM_TSS, p);
}

/* Gate n: 64-bit interrupt gate (present, DPL 0, IST 0) to stub n. */
static int guest_idt(struct mem *mem, struct page *p)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint64_t off = TM_GUEST_IDT_STUBS + TM_GUEST_STUB_SIZE * n;
		put64(p, 16 * n, TM_GATE_LOW(off));
		put64(p, 16 * n + 8, off >> 32);
	}
	if (store(mem, TM_GUEST_IDT, p))
		return -1;
	static const uint8_t stub[] = TM_GUEST_STUB_BYTES;
	memset(p->b, 0xf4, sizeof p->b);   /* hlt padding */
	for (uint32_t n = 0; n < 256; n++)
		memcpy(p->b + TM_GUEST_STUB_SIZE * n, stub, sizeof stub - 1);
	return store(mem, TM_GUEST_IDT_STUBS, p);
}

/* PML4[0] -> PDPT -> PD of 512 2-MiB pages: the identity map of 1 GiB. */
static int identity_map(struct mem *mem, struct page *p, uint64_t root, uint64_t dir, uint64_t leaf)
{
	put64(p, 0, (root + 0x1000) | dir);
	if (store(mem, root, p))
		return -1;
	put64(p, 0, (root + 0x2000) | dir);
	if (store(mem, root + 0x1000, p))
		return -1;
	for (uint32_t i = 0; i < 512; i++)
		put64(p, 8 * i, (uint64_t)i << 21 | leaf);
	return store(mem, root + 0x2000, p);
}

/* The unlinked 4-KByte table over the 2 MiB at TM_PT_4K_BASE. */
static int table_4k(struct mem *mem, struct page *p, uint64_t at, uint64_t flags)
{
	for (uint32_t i = 0; i < 512; i++)
		put64(p, 8 * i, (TM_PT_4K_BASE + ((uint64_t)i << 12)) | flags);
	return store(mem, at, p);
}

/* The PAE PDPT of an L1 outside IA-32e mode: entry 0 -> the identity PD. */
static int pae_pdpt(struct mem *mem, struct page *p)
{
	put64(p, 0, (TM_PAGE_TABLES + 0x2000) | TM_PDPTE_PAE);
	return store(mem, TM_L1_PAE_PDPT, p);
}

int tm_build_memory(struct mem *mem, uint32_t revision)
{
	static const uint64_t regions[] = { TM_VMXON_REGION, TM_VMCS0, TM_VMCS1, TM_SHADOW_VMCS };
	for (size_t i = 0; i < sizeof regions / sizeof *regions; i++)
		if (!mem_write32(mem, regions[i], revision & 0x7fffffffu))
			return -1;
	struct page p;
	memset(&p, 0, sizeof p);
	_Static_assert(TM_EPT_PDPT == TM_EPT_ROOT + 0x1000 && TM_EPT_PD == TM_EPT_ROOT + 0x2000,
		       "EPT tables are consecutive pages");
	_Static_assert(256 * TM_GUEST_STUB_SIZE == MEM_PAGE && 256 * 16 == MEM_PAGE,
		       "the guest IDT and its stubs are one page each");
	if (gdt_tss(mem, &p) || guest_idt(mem, &p) ||
	    identity_map(mem, &p, TM_PAGE_TABLES, TM_PTE_DIR, TM_PTE_2M) ||
	    identity_map(mem, &p, TM_EPT_ROOT, TM_EPTE_DIR, TM_EPTE_2M) ||
	    table_4k(mem, &p, TM_PT_4K, TM_PTE_4K) || table_4k(mem, &p, TM_EPT_PT_4K, TM_EPTE_4K) ||
	    pae_pdpt(mem, &p))
		return -1;
	return 0;
}
