/* Sparse guest-physical memory: 4 KiB pages in an open-addressing hash
 * (linear probing, load <= 1/2), bounded by m->limit (the caller derives
 * it from MAXPHYADDR) and by MEM_MAX_PAGES.  Reads of never-written
 * memory return zeroes.  All addresses are hostile: every range check is
 * written so that pa + n cannot overflow.
 *
 * Layout of the single allocation behind m->tab: cap slots, then a
 * uint32_t array listing the occupied slots in insertion order, so that
 * mem_reset and rehashing cost O(pages touched), not O(cap). */
#include <stdlib.h>
#include <string.h>
#include "mem.h"

#define MEM_CAP_MIN 64u
#define MEM_CAP_MAX (2u * MEM_MAX_PAGES)   /* keeps the load at most 1/2 */
#define MEM_LIMIT_MAX (1ull << 52)         /* MAXPHYADDR is at most 52 */

static uint32_t *order_of(const struct mem *m)
{
	return (uint32_t *)(m->tab + m->cap);
}

static size_t tab_bytes(uint32_t cap)
{
	return (size_t)cap * (sizeof(struct mem_page) + sizeof(uint32_t));
}

static uint32_t slot_hash(uint64_t pfn, uint32_t cap)
{
	return (uint32_t)((pfn * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

/* The slot holding pfn, or the empty slot where it would go. */
static uint32_t slot_find(const struct mem *m, uint64_t pfn)
{
	uint32_t i = slot_hash(pfn, m->cap);
	while (m->tab[i].data && m->tab[i].pfn != pfn)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int tab_alloc(struct mem *m, uint32_t cap)
{
	struct mem_page *t = calloc(1, tab_bytes(cap));
	if (!t)
		return -1;
	m->tab = t;
	m->cap = cap;
	return 0;
}

int mem_init(struct mem *m, uint64_t limit)
{
	memset(m, 0, sizeof(*m));
	m->limit = limit > MEM_LIMIT_MAX ? MEM_LIMIT_MAX : limit;
	return tab_alloc(m, MEM_CAP_MIN);
}

static void page_drop(struct mem_page *p)
{
	if (p->data != p->base)
		free(p->data);
	free(p->base);
	*p = (struct mem_page){ 0 };
}

void mem_reset(struct mem *m)
{
	m->gen++;
	if (!m->tab)
		return;
	uint32_t *order = order_of(m);
	for (uint32_t k = 0; k < m->npages; k++)
		page_drop(&m->tab[order[k]]);
	m->npages = m->nbase = 0;
}

void mem_free(struct mem *m)
{
	mem_reset(m);
	free(m->tab);
	memset(m, 0, sizeof(*m));
}

void mem_snapshot(struct mem *m)
{
	m->gen++;
	if (!m->tab)
		return;
	uint32_t *order = order_of(m);
	for (uint32_t k = 0; k < m->npages; k++) {
		struct mem_page *p = &m->tab[order[k]];
		if (p->base != p->data)
			free(p->base);
		p->base = p->data;
	}
	m->nbase = m->npages;
}

/* Pages created since the snapshot come after its pages in insertion
 * order, and tab_grow keeps that order, so every snapshot page's probe
 * sequence runs over snapshot pages only: removing the later pages leaves
 * the hash intact without tombstones. */
void mem_rewind(struct mem *m)
{
	m->gen++;
	if (!m->tab)
		return;
	uint32_t *order = order_of(m);
	for (uint32_t k = 0; k < m->npages; k++) {
		struct mem_page *p = &m->tab[order[k]];
		if (k >= m->nbase) {
			page_drop(p);
		} else if (p->data != p->base) {
			free(p->data);
			p->data = p->base;
		}
	}
	m->npages = m->nbase;
}

/* Double the table, re-inserting pages in their insertion order. */
static int tab_grow(struct mem *m)
{
	struct mem old = *m;
	const uint32_t *old_order = order_of(&old);
	if (tab_alloc(m, old.cap * 2) < 0) {
		*m = old;
		return -1;
	}
	uint32_t *order = order_of(m);
	for (uint32_t k = 0; k < old.npages; k++) {
		const struct mem_page *p = &old.tab[old_order[k]];
		uint32_t i = slot_find(m, p->pfn);
		m->tab[i] = *p;
		order[k] = i;
	}
	free(old.tab);
	return 0;
}

static bool in_range(const struct mem *m, uint64_t pa, size_t n)
{
	return n <= m->limit && pa <= m->limit - n;
}

static const uint8_t *page_lookup(const struct mem *m, uint64_t pfn)
{
	if (!m->tab)
		return NULL;
	return m->tab[slot_find(m, pfn)].data;
}

/* A snapshot page's first write since the snapshot or rewind gives it a
 * private copy; NULL when out of host memory. */
static uint8_t *page_writable(struct mem *m, struct mem_page *p)
{
	if (p->data != p->base)
		return p->data;
	uint8_t *d = malloc(MEM_PAGE);
	if (!d)
		return NULL;
	memcpy(d, p->base, MEM_PAGE);
	p->data = d;
	m->gen++;
	return d;
}

static uint8_t *page_get(struct mem *m, uint64_t pfn)
{
	uint32_t i = slot_find(m, pfn);
	if (m->tab[i].data)
		return page_writable(m, &m->tab[i]);
	if (m->npages >= MEM_MAX_PAGES)
		return NULL;
	if (2 * (m->npages + 1) > m->cap) {
		if (m->cap >= MEM_CAP_MAX || tab_grow(m) < 0)
			return NULL;
		i = slot_find(m, pfn);
	}
	uint8_t *d = calloc(1, MEM_PAGE);
	if (!d)
		return NULL;
	m->tab[i] = (struct mem_page){ .pfn = pfn, .data = d };
	order_of(m)[m->npages++] = i;
	return d;
}

uint8_t *mem_page(struct mem *m, uint64_t pa)
{
	if (!m->tab || pa >= m->limit)
		return NULL;
	return page_get(m, pa / MEM_PAGE);
}

uint8_t *mem_page_present(struct mem *m, uint64_t pa)
{
	if (!m->tab || pa >= m->limit)
		return NULL;
	struct mem_page *p = &m->tab[slot_find(m, pa / MEM_PAGE)];
	return p->data ? page_writable(m, p) : NULL;
}

int mem_read(const struct mem *m, uint64_t pa, void *buf, size_t n)
{
	if (!in_range(m, pa, n))
		return -1;
	uint8_t *out = buf;
	while (n) {
		size_t off = pa % MEM_PAGE, chunk = MEM_PAGE - off;
		if (chunk > n)
			chunk = n;
		const uint8_t *d = page_lookup(m, pa / MEM_PAGE);
		if (d)
			memcpy(out, d + off, chunk);
		else
			memset(out, 0, chunk);
		out += chunk, pa += chunk, n -= chunk;
	}
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* Pages a write would have to create (zero chunks to absent pages need
 * none: those bytes already read as zero). */
static uint64_t pages_needed(const struct mem *m, uint64_t pa, const uint8_t *in, size_t n)
{
	uint64_t need = 0;
	while (n) {
		size_t off = pa % MEM_PAGE, chunk = MEM_PAGE - off;
		if (chunk > n)
			chunk = n;
		if (!page_lookup(m, pa / MEM_PAGE) && !all_zero(in, chunk))
			need++;
		in += chunk, pa += chunk, n -= chunk;
	}
	return need;
}

/* All or nothing with respect to the page budget: a write that would
 * exceed MEM_MAX_PAGES changes nothing. */
int mem_write(struct mem *m, uint64_t pa, const void *buf, size_t n)
{
	if (!m->tab || !in_range(m, pa, n))
		return -1;
	const uint8_t *in = buf;
	if (m->npages + pages_needed(m, pa, in, n) > MEM_MAX_PAGES)
		return -1;
	while (n) {
		size_t off = pa % MEM_PAGE, chunk = MEM_PAGE - off;
		if (chunk > n)
			chunk = n;
		uint64_t pfn = pa / MEM_PAGE;
		const struct mem_page *p = &m->tab[slot_find(m, pfn)];
		bool shared_same = p->data && p->data == p->base && !memcmp(p->data + off, in, chunk);
		if (shared_same) {
			/* nothing changes: the snapshot page stays shared */
		} else if (p->data || !all_zero(in, chunk)) {
			uint8_t *d = page_get(m, pfn);
			if (!d)
				return -1;   /* out of host memory */
			memcpy(d + off, in, chunk);
		}
		in += chunk, pa += chunk, n -= chunk;
	}
	return 0;
}

/* The 32- and 64-bit accessors take a fast path when the access stays in
 * one page: one hash lookup, no byte loop. */
static bool one_page(const struct mem *m, uint64_t pa, size_t n)
{
	return m->tab && pa % MEM_PAGE <= MEM_PAGE - n && in_range(m, pa, n);
}

/* Little-endian, as x86 stores them (SDM Vol. 1, 1.3.1). */
uint64_t mem_read64(const struct mem *m, uint64_t pa)
{
	uint8_t b[8];
	if (one_page(m, pa, 8)) {
		const uint8_t *d = page_lookup(m, pa / MEM_PAGE);
		return d ? mem_le64(d + pa % MEM_PAGE) : 0;
	}
	if (mem_read(m, pa, b, sizeof(b)) < 0)
		return 0;
	return mem_le64(b);
}

uint32_t mem_read32(const struct mem *m, uint64_t pa)
{
	uint8_t b[4] = { 0 };
	if (one_page(m, pa, 4)) {
		const uint8_t *d = page_lookup(m, pa / MEM_PAGE);
		if (d)
			memcpy(b, d + pa % MEM_PAGE, 4);
	} else if (mem_read(m, pa, b, sizeof(b)) < 0) {
		return 0;
	}
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* A write of n <= 8 bytes within one present, private page: done in
 * place.  false: take the general path. */
static bool write_in_place(struct mem *m, uint64_t pa, const uint8_t *b, size_t n)
{
	if (!one_page(m, pa, n))
		return false;
	struct mem_page *p = &m->tab[slot_find(m, pa / MEM_PAGE)];
	if (!p->data || p->data == p->base)
		return false;
	memcpy(p->data + pa % MEM_PAGE, b, n);
	return true;
}

bool mem_write64(struct mem *m, uint64_t pa, uint64_t v)
{
	uint8_t b[8];
	mem_put_le64(b, v);
	return write_in_place(m, pa, b, sizeof(b)) || mem_write(m, pa, b, sizeof(b)) == 0;
}

bool mem_write32(struct mem *m, uint64_t pa, uint32_t v)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return write_in_place(m, pa, b, sizeof(b)) || mem_write(m, pa, b, sizeof(b)) == 0;
}
