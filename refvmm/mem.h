/* Sparse physical memory, bounded by the profile's MAXPHYADDR and by a
 * page budget, so hostile cases cannot make the model allocate without
 * limit.  Reads of never-written memory return zeroes.  A snapshot makes
 * the current contents the baseline that mem_rewind() returns to; its
 * pages are shared until written (copy on write), so a rewind costs the
 * pages touched since, not the whole baseline. */
#ifndef NESTVMX_MEM_H
#define NESTVMX_MEM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEM_PAGE 4096u
#define MEM_MAX_PAGES 4096u   /* 16 MiB of touched memory at most */

/* data: the page's bytes.  base: its content in the snapshot (NULL when
 * the page is not in it); data == base until the page is written. */
struct mem_page { uint64_t pfn; uint8_t *data, *base; };

struct mem {
	uint64_t limit;            /* first invalid physical address */
	uint32_t npages, cap;      /* open-addressing hash of touched pages */
	uint32_t nbase;            /* the first nbase pages inserted are the snapshot's */
	struct mem_page *tab;
	/* changes whenever the data pointer of a present page may change (reset,
	 * snapshot, rewind, first write to a snapshot page): a pointer from
	 * mem_page() stays usable for as long as gen is unchanged */
	uint64_t gen;
};

int mem_init(struct mem *m, uint64_t limit) __attribute__((warn_unused_result));
void mem_reset(struct mem *m);     /* forget every page, snapshot included (all zero again) */
void mem_free(struct mem *m);
/* The current contents become the baseline (replacing any earlier one);
 * mem_rewind() returns to it: pages created since are forgotten, pages
 * written since get their snapshot content back.  Reads, writes and the
 * page budget behave exactly as if the memory had been rebuilt. */
void mem_snapshot(struct mem *m);
void mem_rewind(struct mem *m);

/* 0 on success; -1 when the range leaves [0, limit) or the page budget
 * is exhausted (writes only).  Accesses may cross pages. */
int mem_read(const struct mem *m, uint64_t pa, void *buf, size_t n) __attribute__((warn_unused_result));
int mem_write(struct mem *m, uint64_t pa, const void *buf, size_t n) __attribute__((warn_unused_result));
uint64_t mem_read64(const struct mem *m, uint64_t pa);   /* 0 when out of range */
uint32_t mem_read32(const struct mem *m, uint64_t pa);
bool mem_write64(struct mem *m, uint64_t pa, uint64_t v);
bool mem_write32(struct mem *m, uint64_t pa, uint32_t v);
/* The page holding pa, writable, created if absent (NULL when out of
 * range/budget).  Valid while m->gen stays the same. */
uint8_t *mem_page(struct mem *m, uint64_t pa);
/* The same, but NULL instead of creating an absent page. */
uint8_t *mem_page_present(struct mem *m, uint64_t pa);

/* Little-endian loads and stores, as x86 keeps memory (SDM Vol. 1, 1.3.1):
 * a plain copy on a little-endian host, byte by byte elsewhere. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define MEM_HOST_LE 1
#else
#define MEM_HOST_LE 0
#endif

static inline uint64_t mem_le64(const uint8_t *p)
{
	uint64_t v = 0;
	if (MEM_HOST_LE) {
		__builtin_memcpy(&v, p, 8);
		return v;
	}
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static inline void mem_put_le64(uint8_t *p, uint64_t v)
{
	if (MEM_HOST_LE) {
		__builtin_memcpy(p, &v, 8);
		return;
	}
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#endif
