/* Sparse guest-physical memory (refvmm/mem.c): zero-fill, round trips,
 * page-crossing accesses, hostile addresses, the page budget, reset. */
#include <stdint.h>
#include <string.h>
#include "suites.h"
#include "../mem.h"

#define LIMIT (1ull << 39)   /* MAXPHYADDR 39 */

static struct mem m;

static void setup(void)
{
	ck_assert_int_eq(mem_init(&m, LIMIT), 0);
}

static void teardown(void)
{
	mem_free(&m);
}

START_TEST(untouched_reads_zero)
{
	uint8_t buf[64];
	memset(buf, 0xaa, sizeof(buf));
	ck_assert_int_eq(mem_read(&m, 0x123456, buf, sizeof(buf)), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], 0);
	ck_assert_uint_eq(mem_read64(&m, LIMIT - 8), 0);
	ck_assert_uint_eq(m.npages, 0);   /* reads allocate nothing */
}
END_TEST

START_TEST(round_trip_little_endian)
{
	ck_assert(mem_write64(&m, 0x1000, 0x1122334455667788ull));
	ck_assert_uint_eq(mem_read64(&m, 0x1000), 0x1122334455667788ull);
	ck_assert_uint_eq(mem_read32(&m, 0x1000), 0x55667788u);
	ck_assert_uint_eq(mem_read32(&m, 0x1004), 0x11223344u);
	uint8_t b;
	ck_assert_int_eq(mem_read(&m, 0x1000, &b, 1), 0);
	ck_assert_uint_eq(b, 0x88);
	ck_assert(mem_write32(&m, 0x1002, 0xdeadbeefu));
	ck_assert_uint_eq(mem_read64(&m, 0x1000), 0x1122deadbeef7788ull);
}
END_TEST

START_TEST(cross_page)
{
	ck_assert(mem_write64(&m, 0x2ffc, 0x0102030405060708ull));
	ck_assert_uint_eq(m.npages, 2);
	ck_assert_uint_eq(mem_read32(&m, 0x2ffc), 0x05060708u);
	ck_assert_uint_eq(mem_read32(&m, 0x3000), 0x01020304u);
	ck_assert_uint_eq(mem_read64(&m, 0x2ffc), 0x0102030405060708ull);
	/* a write spanning three pages */
	uint8_t big[2 * MEM_PAGE + 10], back[sizeof(big)];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 1);
	ck_assert_int_eq(mem_write(&m, 0x10ffb, big, sizeof(big)), 0);
	ck_assert_int_eq(mem_read(&m, 0x10ffb, back, sizeof(back)), 0);
	ck_assert_mem_eq(big, back, sizeof(big));
	ck_assert_uint_eq(mem_read32(&m, 0x10ff7), 0);   /* bytes before are untouched */
}
END_TEST

START_TEST(hostile_addresses)
{
	uint8_t buf[16] = { 1 };
	ck_assert_int_eq(mem_read(&m, UINT64_MAX - 3, buf, 8), -1);   /* pa + n overflows */
	ck_assert_int_eq(mem_write(&m, UINT64_MAX - 3, buf, 8), -1);
	ck_assert_int_eq(mem_read(&m, 8, buf, SIZE_MAX), -1);          /* n alone overflows */
	ck_assert_int_eq(mem_write(&m, 8, buf, SIZE_MAX), -1);
	ck_assert_int_eq(mem_write(&m, LIMIT - 4, buf, 8), -1);        /* straddles the limit */
	ck_assert_int_eq(mem_write(&m, LIMIT, buf, 1), -1);
	ck_assert_int_eq(mem_write(&m, LIMIT - 8, buf, 8), 0);         /* last 8 bytes are fine */
	ck_assert_uint_eq(mem_read64(&m, LIMIT - 8), 1);
	ck_assert_uint_eq(mem_read64(&m, LIMIT - 4), 0);               /* out of range reads 0 */
	ck_assert(!mem_write64(&m, UINT64_MAX, 5));
	ck_assert(!mem_write32(&m, LIMIT - 2, 5));
	ck_assert_ptr_null(mem_page(&m, LIMIT));
	ck_assert_ptr_null(mem_page(&m, UINT64_MAX));
	ck_assert_ptr_nonnull(mem_page(&m, LIMIT - 1));
}
END_TEST

START_TEST(limit_is_clamped)
{
	struct mem big;
	ck_assert_int_eq(mem_init(&big, UINT64_MAX), 0);
	uint8_t b = 1;
	ck_assert_int_eq(mem_write(&big, 1ull << 52, &b, 1), -1);     /* beyond MAXPHYADDR 52 */
	ck_assert_int_eq(mem_write(&big, (1ull << 52) - 1, &b, 1), 0);
	mem_free(&big);
}
END_TEST

START_TEST(page_budget)
{
	/* spread over the whole space so the hash sees wild page numbers */
	for (uint64_t i = 0; i < MEM_MAX_PAGES; i++) {
		uint64_t pa = (i * 0x1234567ull % (LIMIT / MEM_PAGE)) * MEM_PAGE;
		ck_assert_msg(mem_write64(&m, pa, i + 1), "page %llu", (unsigned long long)i);
	}
	ck_assert_uint_eq(m.npages, MEM_MAX_PAGES);
	for (uint64_t i = 0; i < MEM_MAX_PAGES; i++) {
		uint64_t pa = (i * 0x1234567ull % (LIMIT / MEM_PAGE)) * MEM_PAGE;
		ck_assert_uint_eq(mem_read64(&m, pa), i + 1);
	}
	/* budget exhausted: a new page cannot be created ... */
	uint64_t fresh = 0x3ull * MEM_PAGE + 8;
	ck_assert_uint_eq(mem_read64(&m, fresh & ~0xfffull), 0);
	ck_assert(!mem_write64(&m, fresh, 7));
	ck_assert_ptr_null(mem_page(&m, fresh));
	ck_assert_uint_eq(mem_read64(&m, fresh), 0);
	/* ... but existing pages stay writable, and zeroes need no page */
	ck_assert(mem_write64(&m, 8, 9));
	ck_assert_uint_eq(mem_read64(&m, 8), 9);
	ck_assert(mem_write64(&m, fresh, 0));
	ck_assert_uint_eq(m.npages, MEM_MAX_PAGES);
}
END_TEST

START_TEST(budget_all_or_nothing)
{
	for (uint64_t i = 0; i < MEM_MAX_PAGES - 1; i++)
		ck_assert(mem_write32(&m, (i + 16) * MEM_PAGE, 1));
	/* one page left: a write touching two new pages must change nothing */
	ck_assert(!mem_write64(&m, 2 * MEM_PAGE - 4, 0x1111111111111111ull));
	ck_assert_uint_eq(m.npages, MEM_MAX_PAGES - 1);
	ck_assert_uint_eq(mem_read32(&m, MEM_PAGE - 4 + MEM_PAGE), 0);
	ck_assert(mem_write64(&m, MEM_PAGE, 0x22));
	ck_assert_uint_eq(m.npages, MEM_MAX_PAGES);
}
END_TEST

START_TEST(reset_forgets_everything)
{
	for (uint64_t i = 0; i < MEM_MAX_PAGES; i++)
		ck_assert(mem_write32(&m, i * MEM_PAGE * 3, 0xffffffffu));
	mem_reset(&m);
	ck_assert_uint_eq(m.npages, 0);
	for (uint64_t i = 0; i < MEM_MAX_PAGES; i++)
		ck_assert_uint_eq(mem_read32(&m, i * MEM_PAGE * 3), 0);
	/* the whole budget is available again */
	for (uint64_t i = 0; i < MEM_MAX_PAGES; i++)
		ck_assert(mem_write32(&m, i * MEM_PAGE * 5 + 4, (uint32_t)i));
	ck_assert_uint_eq(mem_read32(&m, 7 * MEM_PAGE * 5 + 4), 7);
	mem_reset(&m);
	mem_reset(&m);   /* idempotent */
	ck_assert_uint_eq(mem_read32(&m, 7 * MEM_PAGE * 5 + 4), 0);
}
END_TEST

START_TEST(mem_page_is_the_backing_store)
{
	uint8_t *p = mem_page(&m, 0x5123);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_eq(mem_page(&m, 0x5fff), p);
	p[0x123] = 0x5a;
	uint8_t b;
	ck_assert_int_eq(mem_read(&m, 0x5123, &b, 1), 0);
	ck_assert_uint_eq(b, 0x5a);
}
END_TEST

START_TEST(zero_limit_refuses_everything)
{
	struct mem z;
	ck_assert_int_eq(mem_init(&z, 0), 0);
	uint8_t b = 1;
	ck_assert_int_eq(mem_write(&z, 0, &b, 1), -1);
	ck_assert_int_eq(mem_read(&z, 0, &b, 1), -1);
	ck_assert_ptr_null(mem_page(&z, 0));
	mem_free(&z);
}
END_TEST

/* mem_rewind: the snapshot's contents and page count come back, pages
 * created since are gone (their budget too), and the baseline survives
 * any number of cases. */
START_TEST(rewind_restores_the_snapshot)
{
	ck_assert(mem_write64(&m, 0x1008, 0x1111));
	ck_assert(mem_write64(&m, 0x7000, 0x2222));
	mem_snapshot(&m);
	ck_assert_uint_eq(m.npages, 2);
	for (int round = 0; round < 3; round++) {
		ck_assert(mem_write64(&m, 0x1008, 0x3333));
		ck_assert(mem_write32(&m, 0x1ffe, 0x44444444u));   /* into a new page too */
		ck_assert(mem_write64(&m, 0x9000, 0x5555));
		ck_assert_uint_eq(mem_read64(&m, 0x1008), 0x3333);
		ck_assert_uint_eq(mem_read32(&m, 0x2000), 0x4444);
		ck_assert_uint_eq(m.npages, 4);
		mem_rewind(&m);
		ck_assert_uint_eq(m.npages, 2);
		ck_assert_uint_eq(mem_read64(&m, 0x1008), 0x1111);
		ck_assert_uint_eq(mem_read64(&m, 0x7000), 0x2222);
		ck_assert_uint_eq(mem_read32(&m, 0x1ffc), 0);
		ck_assert_uint_eq(mem_read32(&m, 0x2000), 0);
		ck_assert_uint_eq(mem_read64(&m, 0x9000), 0);
	}
	/* the whole budget beyond the snapshot is available again */
	for (uint64_t i = 0; i < MEM_MAX_PAGES - 2; i++)
		ck_assert(mem_write32(&m, (i + 16) * MEM_PAGE, 1));
	ck_assert(!mem_write32(&m, 15 * MEM_PAGE, 1));
	mem_rewind(&m);
	ck_assert(mem_write32(&m, 15 * MEM_PAGE, 1));
}
END_TEST

/* Pages created after the snapshot grow the hash table (rehashing every
 * page); the rewind must still find every snapshot page. */
START_TEST(rewind_after_the_table_grew)
{
	for (uint64_t i = 0; i < 40; i++)
		ck_assert(mem_write64(&m, (i * 0x1234567ull % (LIMIT / MEM_PAGE)) * MEM_PAGE, i + 1));
	mem_snapshot(&m);
	for (int round = 0; round < 2; round++) {
		for (uint64_t i = 0; i < 1000; i++)
			ck_assert(mem_write64(&m, (i * 0x7654321ull % (LIMIT / MEM_PAGE)) * MEM_PAGE + 8, i));
		mem_rewind(&m);
		ck_assert_uint_eq(m.npages, 40);
		for (uint64_t i = 0; i < 40; i++) {
			uint64_t pa = (i * 0x1234567ull % (LIMIT / MEM_PAGE)) * MEM_PAGE;
			ck_assert_uint_eq(mem_read64(&m, pa), i + 1);
			ck_assert_uint_eq(mem_read64(&m, pa + 8), 0);
		}
	}
}
END_TEST

/* A pointer from mem_page/mem_page_present is the backing store for as
 * long as gen does not change; writing a snapshot page changes gen (it
 * gets its own copy), and the copy is what later reads see. */
START_TEST(page_pointers_and_gen)
{
	ck_assert_ptr_null(mem_page_present(&m, 0x3000));   /* never creates */
	ck_assert_uint_eq(m.npages, 0);
	ck_assert(mem_write32(&m, 0x3000, 7));
	mem_snapshot(&m);
	uint64_t g = m.gen;
	ck_assert(mem_write32(&m, 0x3000, 7));     /* same bytes: nothing to copy */
	ck_assert_uint_eq(m.gen, g);
	ck_assert(mem_write32(&m, 0x3004, 9));
	ck_assert_uint_ne(m.gen, g);
	uint8_t *p = mem_page_present(&m, 0x3abc);
	ck_assert_ptr_nonnull(p);
	g = m.gen;
	p[4] = 0x42;
	ck_assert(mem_write32(&m, 0x3008, 1));
	ck_assert_uint_eq(m.gen, g);               /* a private page stays put */
	ck_assert_uint_eq(mem_read32(&m, 0x3004), 0x42);
	mem_rewind(&m);
	ck_assert_uint_ne(m.gen, g);
	ck_assert_uint_eq(mem_read32(&m, 0x3004), 0);
	ck_assert_uint_eq(mem_read32(&m, 0x3000), 7);
	mem_reset(&m);                             /* forgets the snapshot too */
	ck_assert_uint_eq(m.npages + m.nbase, 0);
	mem_rewind(&m);
	ck_assert_uint_eq(mem_read32(&m, 0x3000), 0);
}
END_TEST

static Suite *mem_suite(void)
{
	Suite *s = suite_create("mem");
	TCase *t = tcase_create("mem");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, untouched_reads_zero);
	tcase_add_test(t, round_trip_little_endian);
	tcase_add_test(t, cross_page);
	tcase_add_test(t, hostile_addresses);
	tcase_add_test(t, limit_is_clamped);
	tcase_add_test(t, page_budget);
	tcase_add_test(t, budget_all_or_nothing);
	tcase_add_test(t, reset_forgets_everything);
	tcase_add_test(t, mem_page_is_the_backing_store);
	tcase_add_test(t, zero_limit_refuses_everything);
	tcase_add_test(t, rewind_restores_the_snapshot);
	tcase_add_test(t, rewind_after_the_table_grew);
	tcase_add_test(t, page_pointers_and_gen);
	suite_add_tcase(s, t);
	return s;
}
SUITE_REGISTER(mem_suite)
