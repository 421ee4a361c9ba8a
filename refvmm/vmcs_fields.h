/* The VMCS field table (vmcs_fields.def) and what derives from it.
 * SDM 24.11.2 (encoding) and Appendix B (field encodings). */
#ifndef NESTVMX_VMCS_FIELDS_H
#define NESTVMX_VMCS_FIELDS_H
#include <stdbool.h>
#include <stdint.h>
#include "caps.h"

/* Width, bits 14:13 of the encoding. */
enum vmcs_width { W16 = 0, W64 = 1, W32 = 2, WNAT = 3 };
/* Type, bits 11:10 of the encoding. */
enum vmcs_type { T_CTL = 0, T_RO = 1, T_GUEST = 2, T_HOST = 3 };

/* VMCS_FIELD(NAME, encoding, width, type, feature)
 * One line per field; a 64-bit field is listed once (its full encoding;
 * the "high" access encoding, encoding|1, derives from it). */
enum vmcs_field {
#define VMCS_FIELD(name, enc, width, type, feat) VF_##name,
#include "vmcs_fields.def"
#undef VMCS_FIELD
	VF_COUNT
};

struct vmcs_field_info {
	const char *name;
	uint32_t enc;
	uint8_t width, type;
	uint16_t feature;   /* enum vmx_feature */
};

extern const struct vmcs_field_info vmcs_field_table[VF_COUNT];

/* Lookup.  by_enc accepts the high-access encoding of a 64-bit field and
 * reports it through *high.  Both return -1 when the encoding/name is not
 * an architectural field. */
int vmcs_field_by_enc(uint32_t enc, bool *high);
int vmcs_field_by_name(const char *name);
/* The VMREAD/VMWRITE register operand in 64-bit mode: an encoding with any
 * of bits 63:32 set is unsupported (SDM 24.11.2; Bochs fails it with 12). */
int vmcs_field_by_enc64(uint64_t enc, bool *high);

/* Does the field exist on a processor with this profile (its feature is
 * offered and its index is within IA32_VMX_VMCS_ENUM)? */
bool vmcs_field_supported(const struct vmx_caps *c, enum vmcs_field f);

/* Value mask of a field of this width (natural = 64 bits in 64-bit mode).
 * Inline: every VMCS store of the model masks. */
static inline uint64_t vmcs_width_mask(enum vmcs_width w)
{
	switch (w) {
	case W16:  return 0xffffu;
	case W32:  return 0xffffffffu;
	case W64:  return ~0ull;
	case WNAT: return ~0ull;   /* 64-bit mode: natural width is 64 bits */
	}
	return 0;
}

#endif
