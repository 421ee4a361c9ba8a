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

/* Field f of the current VMCS, all 64 bits as stored. */
static inline uint64_t vmcs_get(const struct refvmm *m, enum vmcs_field f)
{
	uint64_t off = VMCS_OFF_FIELDS + 8u * (uint64_t)f;
	const uint8_t *d = vmcs_cached(m);
	return d ? mem_le64(d + off) : mem_read64(&m->mem, m->vmx.current + off);
}

/* Stores v (already masked to the field's width) into field f. */
static inline void vmcs_put(struct refvmm *m, enum vmcs_field f, uint64_t v)
{
	uint64_t off = VMCS_OFF_FIELDS + 8u * (uint64_t)f;
	uint8_t *d = vmcs_cached(m);
	if (!d) {
		vmcs_cache_refresh(m);
		d = vmcs_cached(m);
	}
	if (d)
		mem_put_le64(d + off, v);
	else   /* beyond the model's memory: dropped, as mem_write64 does */
		(void)mem_write64(&m->mem, m->vmx.current + off, v);
}

/* The same through a region pointer d that the caller took once from
 * vmcs_cached() for a run of accesses with no VMPTRLD/reset in between
 * (NULL: through the memory hash, exactly as vmcs_get/vmcs_put). */
static inline uint64_t vmcs_rd(const struct refvmm *m, const uint8_t *d, enum vmcs_field f)
{
	uint64_t off = VMCS_OFF_FIELDS + 8u * (uint64_t)f;
	return d ? mem_le64(d + off) : mem_read64(&m->mem, m->vmx.current + off);
}

/* Stores v masked to the field's width. */
static inline void vmcs_wr(struct refvmm *m, uint8_t *d, enum vmcs_field f, uint64_t v)
{
	v &= vmcs_field_mask(f);
	if (d)
		mem_put_le64(d + VMCS_OFF_FIELDS + 8u * (uint64_t)f, v);
	else
		vmcs_put(m, f, v);
}

#endif
