/* Fields of the current VMCS, by the region layout of vcpu.h (field i at
 * VMCS_OFF_FIELDS + 8*i), through the direct pointer of m->vcache when it
 * is valid and through the memory hash otherwise: the same bytes either
 * way, since the pointer is the backing page itself. */
#ifndef NESTVMX_VMCS_ACCESS_H
#define NESTVMX_VMCS_ACCESS_H
#include "vcpu.h"

/* Bytes of the region the model uses: a region this close to its page's
 * end is never cached (its fields would cross into the next page). */
#define VMCS_REGION_USED (VMCS_OFF_FIELDS + 8u * VF_COUNT)

/* (Re)point m->vcache at the current VMCS region when its page exists
 * (refvmm.c); empty otherwise.  Never creates a page. */
void vmcs_cache_refresh(struct refvmm *m);

static inline uint8_t *vmcs_cached(const struct refvmm *m)
{
	const struct vmcs_cache *c = &m->vcache;
	if (c->pinned)
		return c->pinned;
	return c->data && c->pa == m->vmx.current && c->gen == m->mem.gen ? c->data : NULL;
}

/* For one VM-entry op (vmentry): the region's page, once cached, is a
 * private copy (mem.c copies a snapshot page on its first write), whose
 * pointer only reset, snapshot or rewind change, never an op; and no
 * operation inside an entry (checks, L2, the exit) changes the current
 * VMCS.  So the cached pointer holds without the pa/gen test. */
static inline void vmcs_pin(struct refvmm *m)
{
	m->vcache.pinned = NULL;
	if (!vmcs_cached(m))
		vmcs_cache_refresh(m);
	m->vcache.pinned = vmcs_cached(m);
}

static inline void vmcs_unpin(struct refvmm *m)
{
	m->vcache.pinned = NULL;
}

/* Value mask of field f by its width: a const table, so that a constant
 * f folds and any other is one load. */
static const uint64_t vmcs_field_masks[VF_COUNT] = {
#define VMCS_FIELD(name, enc, width, type, feat) \
	[VF_##name] = (width) == W16 ? 0xffffu : (width) == W32 ? 0xffffffffu : ~0ull,
#include "vmcs_fields.def"
#undef VMCS_FIELD
};

static inline uint64_t vmcs_field_mask(enum vmcs_field f)
{
	return vmcs_field_masks[f];
}

/* The access when the region has no direct pointer: through the memory
 * hash (vmcs_fields.c).  Out of line and cold, so that the dozens of
 * inlined field accesses of an entry or exit stay small (instruction
 * cache) and fall through on the direct path. */
uint64_t vmcs_get_slow(const struct refvmm *m, enum vmcs_field f) __attribute__((cold));
void vmcs_put_slow(struct refvmm *m, enum vmcs_field f, uint64_t v) __attribute__((cold));
#define VMCS_DIRECT(d) __builtin_expect((d) != NULL, 1)

/* Field f of the current VMCS, all 64 bits as stored. */
static inline uint64_t vmcs_get(const struct refvmm *m, enum vmcs_field f)
{
	const uint8_t *d = vmcs_cached(m);
	if (VMCS_DIRECT(d))
		return mem_le64(d + VMCS_OFF_FIELDS + 8u * (uint64_t)f);
	return vmcs_get_slow(m, f);
}

/* Stores v (already masked to the field's width) into field f. */
static inline void vmcs_put(struct refvmm *m, enum vmcs_field f, uint64_t v)
{
	uint8_t *d = vmcs_cached(m);
	if (VMCS_DIRECT(d))
		mem_put_le64(d + VMCS_OFF_FIELDS + 8u * (uint64_t)f, v);
	else
		vmcs_put_slow(m, f, v);
}

/* Does field f exist on the machine's profile (vmcs_field_supported), by
 * the per-machine cache once an entry filled it (entry_priv.h). */
static inline bool vmcs_field_exists(const struct refvmm *m, enum vmcs_field f)
{
	const struct caps_cache *cc = &m->caps_cache;
	if (!cc->valid)
		return vmcs_field_supported(&m->caps, f);
	return (cc->vmcs_fields[(unsigned)f / 64] >> ((unsigned)f % 64)) & 1;
}

/* The 32-bit word at byte off of the current VMCS region (the header of
 * vcpu.h: revision and shadow indicator, abort indicator, launch state),
 * as mem_read32/mem_write32 of vmx.current + off. */
static inline uint32_t vmcs_region_get32(const struct refvmm *m, unsigned off)
{
	const uint8_t *d = vmcs_cached(m);
	if (!d)
		return mem_read32(&m->mem, m->vmx.current + off);
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = v << 8 | d[off + (unsigned)i];
	return v;
}

static inline void vmcs_region_put32(struct refvmm *m, unsigned off, uint32_t v)
{
	uint8_t *d = vmcs_cached(m);
	if (!d) {
		(void)mem_write32(&m->mem, m->vmx.current + off, v);
		return;
	}
	for (int i = 0; i < 4; i++)
		d[off + (unsigned)i] = (uint8_t)(v >> (8 * i));
}

/* The same through a region pointer d that the caller took once from
 * vmcs_cached() for a run of accesses with no VMPTRLD/reset in between
 * (NULL: through the memory hash, exactly as vmcs_get/vmcs_put). */
static inline uint64_t vmcs_rd(const struct refvmm *m, const uint8_t *d, enum vmcs_field f)
{
	if (VMCS_DIRECT(d))
		return mem_le64(d + VMCS_OFF_FIELDS + 8u * (uint64_t)f);
	return vmcs_get_slow(m, f);
}

/* Stores v masked to the field's width. */
static inline void vmcs_wr(struct refvmm *m, uint8_t *d, enum vmcs_field f, uint64_t v)
{
	v &= vmcs_field_mask(f);
	if (VMCS_DIRECT(d))
		mem_put_le64(d + VMCS_OFF_FIELDS + 8u * (uint64_t)f, v);
	else
		vmcs_put_slow(m, f, v);
}

#endif
