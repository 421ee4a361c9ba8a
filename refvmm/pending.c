/* Weak fallbacks for model parts that are still being written; each real
 * definition overrides its fallback.  This file goes once all parts land. */
#include "entry.h"
#include "exit.h"
#include "guest.h"

static void unmodelled(struct refvmm *m)
{
	if (m->res) {
		m->res->nalt = 1;
		m->res->alt[0] = (struct outcome){ .kind = OUT_UNMODELLED };
	}
}
__attribute__((weak)) void vmentry(struct refvmm *m, bool launch) { (void)launch; unmodelled(m); }
__attribute__((weak)) void vmexit(struct refvmm *m, const struct exit_info *e) { (void)e; unmodelled(m); }
__attribute__((weak)) void vmexit_entry_fail(struct refvmm *m, uint32_t r, uint64_t q) { (void)r; (void)q; unmodelled(m); }
__attribute__((weak)) void guest_run(struct refvmm *m) { unmodelled(m); }
__attribute__((weak)) void guest_arm(struct refvmm *m, const struct rop *o, uint32_t n) { (void)m; (void)o; (void)n; }
__attribute__((weak)) size_t guest_layout(const struct rop *o, uint32_t n, uint8_t *c, size_t cap, uint32_t *offs, uint8_t *lens)
{ (void)o; (void)n; (void)c; (void)cap; (void)offs; (void)lens; return 0; }
