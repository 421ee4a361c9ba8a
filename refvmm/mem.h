/* Sparse physical memory, bounded by the profile's MAXPHYADDR and by a
 * page budget, so hostile cases cannot make the model allocate without
 * limit.  Reads of never-written memory return zeroes. */
#ifndef NESTVMX_MEM_H
#define NESTVMX_MEM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEM_PAGE 4096u
#define MEM_MAX_PAGES 4096u   /* 16 MiB of touched memory at most */

struct mem_page { uint64_t pfn; uint8_t *data; };

struct mem {
	uint64_t limit;            /* first invalid physical address */
	uint32_t npages, cap;      /* open-addressing hash of touched pages */
	struct mem_page *tab;
};

int mem_init(struct mem *m, uint64_t limit) __attribute__((warn_unused_result));
void mem_reset(struct mem *m);     /* forget every page (all zero again) */
void mem_free(struct mem *m);

/* 0 on success; -1 when the range leaves [0, limit) or the page budget
 * is exhausted (writes only).  Accesses may cross pages. */
int mem_read(const struct mem *m, uint64_t pa, void *buf, size_t n) __attribute__((warn_unused_result));
int mem_write(struct mem *m, uint64_t pa, const void *buf, size_t n) __attribute__((warn_unused_result));
uint64_t mem_read64(const struct mem *m, uint64_t pa);   /* 0 when out of range */
uint32_t mem_read32(const struct mem *m, uint64_t pa);
bool mem_write64(struct mem *m, uint64_t pa, uint64_t v);
bool mem_write32(struct mem *m, uint64_t pa, uint32_t v);
/* The page holding pa, created if absent (NULL when out of range/budget). */
uint8_t *mem_page(struct mem *m, uint64_t pa);

#endif
