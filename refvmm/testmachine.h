/* The fixed test machine: one physical memory map and one L1 state that
 * every backend builds (the model in refvmm/, the probe kernel in
 * harness/probe/), so addresses in cases and outcomes mean the same thing
 * everywhere.  Plain #defines only: this header is also included by the
 * freestanding probe kernel and by its assembly (via -D__ASSEMBLER__). */
#ifndef NESTVMX_TESTMACHINE_H
#define NESTVMX_TESTMACHINE_H

/* ---- physical memory map (identity-mapped by L1's and L2's paging) ---- */
#define TM_MEM_BYTES        0x02000000  /* 32 MiB of RAM on every backend */
#define TM_PROBE_BASE       0x00100000  /* probe kernel image (not for cases) */
#define TM_PROBE_END        0x00400000

#define TM_VMXON_REGION     0x00400000
#define TM_VMCS0            0x00401000
#define TM_VMCS1            0x00402000
#define TM_SHADOW_VMCS      0x00403000
#define TM_MSR_BITMAP       0x00404000
#define TM_IO_BITMAP_A      0x00405000
#define TM_IO_BITMAP_B      0x00406000
#define TM_VMREAD_BITMAP    0x00407000
#define TM_VMWRITE_BITMAP   0x00408000
#define TM_MSR_AREA         0x00409000  /* one page; MSR-store/load lists */
#define TM_VIRTUAL_APIC     0x0040a000
#define TM_APIC_ACCESS      0x0040b000
#define TM_PML_BUFFER       0x0040c000
#define TM_EPTP_LIST        0x0040d000
#define TM_VE_INFO          0x0040e000
#define TM_POSTED_INTR_DESC 0x0040f000

/* EPT: PML4 at EPT_ROOT, PDPT at +0x1000, one PD at +0x2000 mapping the
 * first 1 GiB with 2 MiB pages (RWX, WB).  0x410000-0x41ffff is reserved
 * for EPT tables that cases build. */
#define TM_EPT_ROOT         0x00410000
#define TM_EPT_PDPT         0x00411000
#define TM_EPT_PD           0x00412000
#define TM_EPT_END          0x00420000

/* Descriptor tables shared by L1 (host) and L2 (guest). */
#define TM_GDT              0x00420000
#define TM_IDT              0x00421000  /* host IDT (probe's handlers) */
#define TM_TSS              0x00422000
#define TM_GUEST_IDT        0x00423000  /* L2's IDT, 256 gates */
#define TM_GUEST_IDT_STUBS  0x00424000  /* gate n -> stub at +16*n: vmcall; iretq */
#define TM_GUEST_STUB_SIZE  16

/* Unlinked 4-KByte tables for the 2-MiB region at 0x400000 (the test
 * machine's own pages): a page table (P|RW) and an EPT page table (RWX,
 * WB) that map it identically, entry i -> 0x400000 + 4 KiB * i.  A case
 * links one in with one write64 (PD[2] = TM_PT_4K | TM_PTE_DIR, EPT
 * PD[2] = TM_EPT_PT_4K | TM_EPTE_DIR) when it needs 4-KByte translations
 * there, e.g. for the APIC-access page (SDM 29.4.5). */
#define TM_PT_4K            0x00425000
#define TM_EPT_PT_4K        0x00426000
#define TM_PT_4K_BASE       0x00400000

/* PAE paging for an L1 that left IA-32e mode (op leave_ia32e): a 4-entry
 * page-directory-pointer table (4.4.1) whose entry 0 points at the 1-GiB
 * identity page directory of TM_PAGE_TABLES (+0x2000); entries 1-3 are
 * not present.  The IA-32e PDPT cannot serve: PAE PDPTEs reserve bits
 * 2:1 and 8:5, which the IA-32e entry sets (R/W). */
#define TM_L1_PAE_PDPT      0x00427000

/* Paging: 4-level, identity map of the first 1 GiB with 2 MiB pages.
 * L1 and L2 both use it (HOST_CR3 == GUEST_CR3 == TM_PAGE_TABLES). */
#define TM_PAGE_TABLES      0x00428000  /* PML4; PDPT +0x1000; PD +0x2000 */

/* VM exits land here on every backend: the probe links its exit entry at
 * TM_HOST_RIP, with its exit stack below TM_HOST_RSP. */
#define TM_HOST_RIP         0x00430000
#define TM_HOST_RSP         0x0043f000

#define TM_GUEST_CODE       0x00440000  /* the guest { } block is laid here */
#define TM_GUEST_CODE_SIZE  0x00010000
#define TM_GUEST_STACK      0x00460000  /* top of L2's stack (grows down) */
#define TM_SCRATCH          0x00460000  /* 64 KiB free for cases */
#define TM_SCRATCH_SIZE     0x00010000

/* ---- GDT layout (selectors) ---- */
#define TM_SEL_CODE64       0x08  /* 0x00af9b000000ffff */
#define TM_SEL_DATA         0x10  /* 0x00cf93000000ffff */
#define TM_SEL_CODE32       0x18  /* 0x00cf9b000000ffff */
#define TM_SEL_TSS          0x20  /* 64-bit TSS, 16 bytes, base TM_TSS */
#define TM_SEL_USER_DATA    0x33  /* 0x00cff3000000ffff, RPL 3 (for `cpl 3`) */
#define TM_SEL_USER_CODE64  0x3b  /* 0x00affb000000ffff, RPL 3 */
#define TM_GDT_LIMIT        0x3f
#define TM_IDT_LIMIT        0xfff
#define TM_TSS_LIMIT        0x67
#define TM_GDT_CODE64       0x00af9b000000ffffULL
#define TM_GDT_DATA         0x00cf93000000ffffULL
#define TM_GDT_CODE32       0x00cf9b000000ffffULL
#define TM_GDT_USER_DATA    0x00cff3000000ffffULL
#define TM_GDT_USER_CODE64  0x00affb000000ffffULL

/* Access rights as VMX encodes them (SDM 24.4.1, Table 24-2). */
#define TM_AR_CODE64        0xa09b
#define TM_AR_CODE32        0xc09b  /* TM_SEL_CODE32: D = 1, G = 1 */
#define TM_AR_DATA          0xc093
#define TM_AR_TSS64_BUSY    0x008b
#define TM_AR_UNUSABLE      0x10000

/* ---- memory contents at the start of every case ----
 * Every page is zero except: the first dword of VMXON_REGION, VMCS0, VMCS1
 * and SHADOW_VMCS holds the profile's VMCS revision identifier (bit 31
 * clear); the GDT, TSS, IDTs, guest IDT stubs, page tables and the EPT
 * identity map described above.  Guest IDT gate n is a 64-bit interrupt
 * gate (selector TM_SEL_CODE64, DPL 0, IST 0) to TM_GUEST_IDT_STUBS+16*n;
 * each stub is TM_GUEST_STUB_BYTES, padded with 0xf4 (hlt).
 * Page tables: PML4[0] -> PDPT (0x...3 = P|RW), PDPT[0] -> PD, PD[i] =
 * i*2MiB | 0x83 (P|RW|PS).  EPT: PML4[0] -> EPT_PDPT | 7, PDPT[0] ->
 * EPT_PD | 7, PD[i] = i*2MiB | 0xb7 (RWX | WB memory type | PS).
 * L1_PAE_PDPT[0] = (PAGE_TABLES + 0x2000) | 0x1 (P), [1..3] = 0.
 * PT_4K[i] = (TM_PT_4K_BASE + i*4KiB) | 0x3, EPT_PT_4K[i] = the same
 * address | 0x37 (RWX | WB memory type). */
/* Bits 63:0 of a 64-bit interrupt gate (present, DPL 0, IST 0, selector
 * TM_SEL_CODE64) to target; bits 127:64 are target >> 32 (Vol. 3A 6.14.1). */
#define TM_GATE_LOW(target) (((target) & 0xffffULL) | (unsigned long long)TM_SEL_CODE64 << 16 | \
			     0x8eULL << 40 | ((target) >> 16 & 0xffffULL) << 48)
#define TM_GUEST_STUB_BYTES "\x0f\x01\xc1\x48\xcf"   /* vmcall; iretq */
#define TM_PTE_DIR          0x3ULL
#define TM_PTE_2M           0x83ULL
#define TM_EPTE_DIR         0x7ULL
#define TM_EPTE_2M          0xb7ULL
#define TM_PDPTE_PAE        0x1ULL
#define TM_PTE_4K           0x3ULL
#define TM_EPTE_4K          0x37ULL

/* ---- L1 state at the start of every case ---- */
#define TM_L1_CR0           0x80000031ULL  /* PG | NE | ET | PE */
#define TM_L1_CR3           TM_PAGE_TABLES
#define TM_L1_CR4           0x00002020ULL  /* VMXE | PAE */
#define TM_L1_EFER          0x00000500ULL  /* LMA | LME */
#define TM_L1_PAT           0x0007040600070406ULL
#define TM_L1_RFLAGS        0x00000002ULL
#define TM_L1_DR7           0x00000400ULL
/* IA32_FEATURE_CONTROL: firmware's value (the profile's), except that 0
 * means no firmware ran (Bochs ROM boot) and the test machine writes
 * this one, lock | VMX outside SMX (SDM 23.7) */
#define TM_L1_FEATURE_CONTROL 0x5ULL
/* After leave_ia32e: CS = TM_SEL_CODE32, CR3 = TM_L1_PAE_PDPT, CR4.PCIDE
 * = 0, IA32_EFER.LME = LMA = 0; CR0 and the rest as above. */
#define TM_L1_PAE_CR3       TM_L1_PAE_PDPT

#endif
