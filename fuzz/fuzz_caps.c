/* Fuzz target: any byte string as capability-profile text.
 * Oracles: (1) parsing never crashes and every error has a line:col;
 * (2) print -> parse is the identity on whatever parsed; (3) the queries
 * and the Appendix A consistency check hold up on any parsed profile. */
#include <string.h>
#include "fuzz.h"
#include "refvmm/caps.h"

#define MAX_PROFILES 8

static void check_queries(const struct vmx_caps *c)
{
	for (int k = 0; k < CTL_COUNT; k++) {
		uint64_t must1 = caps_ctl_must1(c, (enum ctl_kind)k), may1 = caps_ctl_may1(c, (enum ctl_kind)k);
		/* allowed() agrees with must1/may1, bit by bit */
		ORACLE(caps_ctl_allowed(c, (enum ctl_kind)k, must1 | may1) == ((must1 & ~may1) == 0));
		for (unsigned b = 0; b < 64; b++)
			ORACLE(caps_ctl_may_be1(c, (enum ctl_kind)k, b) == ((may1 >> b) & 1));
	}
	for (int f = 0; f < FEAT_COUNT; f++)
		(void)caps_has(c, (enum vmx_feature)f);
	ORACLE(caps_has(c, FEAT_ALWAYS));
	(void)caps_cr0_allowed(c, 0x80000031, true);
	(void)caps_cr4_allowed(c, 0x2020);
	ORACLE((caps_phys_mask(c) & caps_vmx_addr_mask(c)) == caps_phys_mask(c));
	char err[512];
	int n = caps_check(c, err, sizeof err);
	ORACLE(n >= 0 && strlen(err) < sizeof err);
}

static void check_round_trip(const struct vmx_caps *c)
{
	static char text[8192];
	size_t len = caps_format(c, text, sizeof text);
	ORACLE(len < sizeof text && strlen(text) == len);
	struct vmx_caps back;
	char err[256];
	ORACLE(caps_parse(text, len, &back, err, sizeof err) == 0);
	ORACLE(memcmp(&back, c, sizeof back) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmx_caps out[MAX_PROFILES];
	char err[256];
	memset(out, 0, sizeof out);
	int n = caps_parse_all((const char *)data, size, out, MAX_PROFILES, err, sizeof err);
	if (n < 0)
		ORACLE(strchr(err, ':') != NULL);
	for (int i = 0; i < n; i++) {
		check_round_trip(&out[i]);
		check_queries(&out[i]);
	}
	struct vmx_caps one;
	if (caps_parse((const char *)data, size, &one, err, sizeof err) == 0) {
		check_round_trip(&one);
		check_queries(&one);
	} else {
		ORACLE(strchr(err, ':') != NULL);
	}
	return 0;
}
