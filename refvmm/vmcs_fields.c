/* The VMCS field table and its lookups, all derived from vmcs_fields.def.
 * SDM 24.11.2 (field encodings), Appendix B (the fields), A.9
 * (IA32_VMX_VMCS_ENUM). */
#include <string.h>
#include "vmcs_fields.h"
#include "vmcs_access.h"

/* Compile-time checks of every .def line against SDM 24.11.2: the width
 * (bits 14:13) and type (bits 11:10) columns agree with the encoding, the
 * encoding is the full access (bit 0 = 0), and bits 12 and 31:15 are 0.
 * ci/field-assert-test.sh proves that a wrong column breaks the build. */
#define VMCS_FIELD(name, enc, width, type, feat)                              \
	_Static_assert((((enc) >> 13) & 3) == (width),                        \
		       #name ": width column disagrees with encoding bits 14:13"); \
	_Static_assert((((enc) >> 10) & 3) == (type),                         \
		       #name ": type column disagrees with encoding bits 11:10"); \
	_Static_assert(((enc) & 1) == 0,                                      \
		       #name ": encoding must be the full access (bit 0 = 0)");   \
	_Static_assert(((enc) & 0x1000) == 0, #name ": encoding bit 12 is reserved"); \
	_Static_assert(((enc) >> 15) == 0, #name ": encoding bits 31:15 are reserved");
#include "vmcs_fields.def"
#undef VMCS_FIELD

_Static_assert(VF_COUNT <= 64 * sizeof ((struct caps_cache *)0)->vmcs_fields / sizeof(uint64_t),
	       "caps_cache.vmcs_fields holds a bit per field");

const struct vmcs_field_info vmcs_field_table[VF_COUNT] = {
#define VMCS_FIELD(name, enc, width, type, feat) \
	[VF_##name] = { #name, (enc), (width), (type), FEAT_##feat },
#include "vmcs_fields.def"
#undef VMCS_FIELD
};

/* Name lengths, so the name lookup rejects most entries without strcmp. */
static const uint8_t name_len[VF_COUNT] = {
#define VMCS_FIELD(name, enc, width, type, feat) [VF_##name] = sizeof(#name) - 1,
#include "vmcs_fields.def"
#undef VMCS_FIELD
};

/* Full-access encoding -> field, as a switch the compiler turns into a
 * jump table or a binary search (VMREAD/VMWRITE hot path).  A duplicate
 * encoding in the .def is a duplicate case label: a compile error. */
static int field_of_full_enc(uint32_t enc)
{
	switch (enc) {
#define VMCS_FIELD(name, e, width, type, feat) case (e): return VF_##name;
#include "vmcs_fields.def"
#undef VMCS_FIELD
	default:
		return -1;
	}
}

/* SDM 24.11.2: bit 0 selects the high 32 bits of a 64-bit field; that
 * access type exists only for 64-bit fields. */
int vmcs_field_by_enc(uint32_t enc, bool *high)
{
	bool hi = enc & 1;
	int f = field_of_full_enc(enc & ~1u);

	if (f < 0 || (hi && vmcs_field_table[f].width != W64))
		return -1;
	if (high)
		*high = hi;
	return f;
}

int vmcs_field_by_enc64(uint64_t enc, bool *high)
{
	return enc >> 32 ? -1 : vmcs_field_by_enc((uint32_t)enc, high);
}

/* Exact, case-sensitive.  Used when text (cases, the CLI) is parsed, not
 * per instruction, so a scan with a length filter is enough. */
int vmcs_field_by_name(const char *name)
{
	if (!name)
		return -1;
	size_t n = strlen(name);
	for (int i = 0; i < VF_COUNT; i++)
		if (name_len[i] == n && !memcmp(vmcs_field_table[i].name, name, n))
			return i;
	return -1;
}

/* A field exists when the control that introduces it may be 1 (Appendix
 * B) and its index (encoding bits 9:1) does not exceed the highest index
 * the processor reports in IA32_VMX_VMCS_ENUM bits 9:1 (SDM A.9).  A
 * profile without IA32_VMX_VMCS_ENUM (malformed: every VMX processor has
 * it) is given the benefit of the doubt on the index.
 *
 * Bochs 2.7 (cpu/vmcs.cc) decides existence per field from its VMX
 * extension bits, and ties a few fields to CPUID instead of the control
 * the SDM names: GUEST/HOST_IA32_PKRS to CPUID PKS (SDM: "load PKRS"
 * entry/exit controls), the CET fields to CPUID CET (SDM: "load CET
 * state"), XSS_EXIT_BITMAP to CPUID XSAVES (SDM: "enable XSAVES/XRSTORS").
 * It never offers posted interrupts, BNDCFGS, RTIT or LBR loading, and
 * does not apply IA32_VMX_VMCS_ENUM.  For every Bochs model in
 * shared/reference/bochs-caps.txt the answers coincide: each of those
 * CPUID bits is set exactly when the matching control may be 1, and no
 * field Bochs knows has an index above the models' VMCS_ENUM (0x34 -> 26).
 * Bochs releases after 2.7 add MSR_DATA, the IA32_SPEC_CTRL and APIC-timer
 * virtualization fields; no 2.7 model offers their controls, so they are
 * absent there too. */
bool vmcs_field_supported(const struct vmx_caps *c, enum vmcs_field f)
{
	if (!c || (unsigned)f >= VF_COUNT)
		return false;
	const struct vmcs_field_info *fi = &vmcs_field_table[f];
	if (!caps_has(c, (enum vmx_feature)fi->feature))
		return false;
	uint32_t enum_msr = CAP_MSR_FIRST + CAP_VMCS_ENUM;
	if (!caps_msr_present(c, enum_msr))
		return true;
	uint32_t max_index = (uint32_t)(caps_msr(c, enum_msr) >> 1) & 0x1ff;
	return ((fi->enc >> 1) & 0x1ff) <= max_index;
}

/* vmcs_access.h: a field of the current VMCS without a direct pointer to
 * its region: a pointer if the page has come to exist since, else the
 * memory hash (beyond the model's memory: reads 0, stores dropped, as
 * mem_read64/mem_write64 do). */
uint64_t vmcs_get_slow(const struct refvmm *m, enum vmcs_field f)
{
	return mem_read64(&m->mem, m->vmx.current + VMCS_OFF_FIELDS + 8u * (uint64_t)f);
}

void vmcs_put_slow(struct refvmm *m, enum vmcs_field f, uint64_t v)
{
	vmcs_cache_refresh(m);
	uint8_t *d = vmcs_cached(m);
	if (d)
		mem_put_le64(d + VMCS_OFF_FIELDS + 8u * (uint64_t)f, v);
	else
		(void)mem_write64(&m->mem, m->vmx.current + VMCS_OFF_FIELDS + 8u * (uint64_t)f, v);
}
