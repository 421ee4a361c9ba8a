/* EPT (SDM 29.3): the EPT pointer's validity, the walk of the EPT paging
 * structures, EPT violations (exit 48, qualification Table 28-7) and EPT
 * misconfigurations (exit 49), accessed and dirty flags for EPT,
 * page-modification logging (exit 62) and the EPT-violation #VE. */
#ifndef NESTVMX_EPT_H
#define NESTVMX_EPT_H
#include <stdbool.h>
#include <stdint.h>
#include "vcpu.h"

/* Which EPTP checks of 26.2.1.1 / 28.2.6 fail, against the profile's
 * IA32_VMX_EPT_VPID_CAP (A.10).  VM entry and single-context INVEPT both
 * ask; each reports the failure under its own rule IDs. */
enum {
	EPTP_BAD_MEMTYPE = 1u << 0,   /* bits 2:0: UC (cap bit 8) or WB (bit 14) */
	EPTP_BAD_WALK = 1u << 1,      /* bits 5:3: 3 (cap bit 6) or 4 (bit 7) */
	EPTP_BAD_AD = 1u << 2,        /* bit 6 needs cap bit 21 */
	EPTP_BAD_RESERVED = 1u << 3,  /* bits 11:7, bits beyond MAXPHYADDR */
};
unsigned eptp_faults(const struct vmx_caps *c, uint64_t eptp);

/* Access types (exit-qualification bits 2:0). */
enum { EPT_ACC_READ = 1u << 0, EPT_ACC_WRITE = 1u << 1, EPT_ACC_FETCH = 1u << 2 };

/* One access by L2 to a guest-physical address. */
struct ept_access {
	uint64_t gpa, gla;
	uint8_t type;        /* EPT_ACC_* */
	bool gla_valid;      /* the access has a linear address (qual bit 7) */
	bool paging;         /* to a guest paging-structure entry (qual bit 8 = 0) */
	bool ad_update;      /* a write setting a guest A/D flag (a read-modify-write) */
	bool user;           /* the linear address is user-mode (MBEC; qual bit 9) */
	bool lin_write;      /* the linear address is writable (qual bit 10) */
	bool lin_exec;       /* the linear address is executable (qual bit 11) */
};

/* Why a walk failed; EPTF_NONE when it translated. */
enum ept_fault {
	EPTF_NONE, EPTF_NOT_PRESENT, EPTF_READ, EPTF_WRITE, EPTF_EXEC, EPTF_EXEC_USER,
	EPTF_WRITE_NO_READ, EPTF_EXEC_ONLY, EPTF_RESERVED, EPTF_LARGE_PAGE, EPTF_MEMTYPE,
};
#define EPT_MAX_LEVELS 5

struct ept_walk {
	enum ept_fault fault;
	uint64_t hpa;                       /* when fault == EPTF_NONE */
	uint32_t perms;                     /* AND of bits 2:0 (and bit 10 as bit 3) */
	unsigned n;                         /* entries read */
	uint64_t entry_pa[EPT_MAX_LEVELS], entry[EPT_MAX_LEVELS];
};

/* The walk alone (no rule recorded, no flag set): what translating
 * a->gpa with the EPTP and controls of the current VMCS finds.  access
 * is the type the permissions are checked against. */
void ept_walk(const struct refvmm *m, const struct ept_access *a, uint8_t access,
	      struct ept_walk *w);

/* EPT_JUMPED: the access raised a #VE that L2's IDT delivered. */
enum ept_result { EPT_OK, EPT_EXITED, EPT_JUMPED, EPT_UNMODELLED };
/* Translate an access through EPT: EPT_OK with *hpa (accessed/dirty flags
 * set when EPTP[6] enables them, logged with "enable PML"), the VM exit
 * it causes (48/49, 62 when the PML is full, 0 for a #VE the exception
 * bitmap selects), or a #VE delivered to L2 (EPT_JUMPED). */
/* Would the access set an EPT accessed or dirty flag (no flag set)? */
bool ept_sets_flags(const struct refvmm *m, const struct ept_access *a);

/* guest_mem.c: would L2's paging and EPT let it access `size` bytes at
 * la (a probe: no flag set, no exit)? */
bool guest_mem_probe(struct refvmm *m, uint64_t la, uint8_t type, unsigned size);

enum ept_result ept_translate(struct refvmm *m, const struct ept_access *a, uint64_t *hpa);

#endif
