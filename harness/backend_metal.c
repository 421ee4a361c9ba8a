/* Backend `metal`: the probe kernel on a bare-metal Intel machine.  `run`
 * cannot boot anything itself: it writes a GRUB-bootable ISO carrying the
 * probe and the batch (plus the batch and the case names beside it for
 * `nestvmx collect`), says how to boot it and how to bring the results
 * back, and exits EXIT_UNAVAILABLE.  The probe prints on COM1 at 115200. */
/* Messages and paths are cut to their buffers on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "probe_host.h"
#include "probe_proto.h"

#define METAL_PKGS "apt-get install grub-pc-bin grub-common xorriso mtools"

static int metal_available(const struct backend_opts *o, char *why, size_t len)
{
	(void)o;
	static const char *const tools[] = { "grub-mkrescue", "xorriso", "mformat" };
	for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
		if (!probe_on_path(tools[i])) {
			snprintf(why, len, "%s is not on PATH (%s)", tools[i], METAL_PKGS);
			return EXIT_UNAVAILABLE;
		}
	struct stat st;
	if (stat("/usr/lib/grub/i386-pc", &st) != 0) {
		snprintf(why, len, "GRUB's BIOS modules (/usr/lib/grub/i386-pc) are missing (%s)", METAL_PKGS);
		return EXIT_UNAVAILABLE;
	}
	return 0;
}

static const struct vmx_caps *metal_profile(const struct backend_opts *o, char *why, size_t len)
{
	(void)o;
	snprintf(why, len, "the metal profile is what the probe prints on the target (nestvmx collect LOG)");
	return NULL;
}

static int write_file(const char *path, const void *buf, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	int ok = fwrite(buf, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static const char grub_cfg[] =
	"set timeout=0\n"
	"set default=0\n"
	"serial --unit=0 --speed=115200\n"
	"terminal_input serial console\n"
	"terminal_output serial console\n"
	"menuentry \"nestvmx probe\" {\n"
	"\tmultiboot /boot/probe.bin\n"
	"\tmodule /boot/batch.bin\n"
	"\tboot\n"
	"}\n";

static int metal_run(const struct backend_opts *o, const struct rcase *const *cases, size_t n,
		     struct case_result *results)
{
	char why[400], dir[4096], p[PROBE_PATH_MAX];
	const char *out = getenv("NESTVMX_METAL_OUT") ? getenv("NESTVMX_METAL_OUT") : "nestvmx-probe";
	const struct rcase **run = calloc(n ? n : 1, sizeof *run);   /* the cases the probe can run */
	size_t nrun = 0;
	if (!run)
		return EXIT_BACKEND;
	for (size_t i = 0; i < n; i++) {
		const char *no = probe_case_unsupported(cases[i]);
		memset(&results[i], 0, sizeof results[i]);
		results[i].status = CS_SKIPPED;
		if (no)
			snprintf(results[i].msg, sizeof results[i].msg, "metal: %s", no);
		else
			snprintf(results[i].msg, sizeof results[i].msg, "metal: runs on the target machine (see %s.iso)", out);
		if (!no)
			run[nrun++] = cases[i];
	}
	if (metal_available(o, why, sizeof why)) {
		fprintf(stderr, "nestvmx: metal backend unavailable: %s\n", why);
		free(run);
		return EXIT_UNAVAILABLE;
	}
	size_t blen;
	uint8_t *batch = probe_batch_encode(run, NULL, nrun, 0, &blen, why, sizeof why);
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(dir, sizeof dir, "%s/nestvmx-metal-XXXXXX", tmp);
	int rc = EXIT_BACKEND;
	if (!batch || !mkdtemp(dir)) {
		fprintf(stderr, "nestvmx: metal: %s\n", batch ? "cannot create a temp dir" : why);
		free(batch);
		free(run);
		return EXIT_BACKEND;
	}
	snprintf(p, sizeof p, "%s/iso/boot/grub", dir);
	char *mk[] = { "mkdir", "-p", p, NULL };
	char boot[PROBE_PATH_MAX];
	snprintf(boot, sizeof boot, "%s/iso/boot", dir);
	if (probe_spawn(mk, "/dev/null", 10) != 0 || probe_images_write(boot, why, sizeof why)) {
		fprintf(stderr, "nestvmx: metal: cannot lay out the ISO tree in %s: %s\n", dir, why);
		goto out;
	}
	snprintf(p, sizeof p, "%s/iso/boot/batch.bin", dir);
	int bad = write_file(p, batch, blen);
	snprintf(p, sizeof p, "%s/iso/boot/grub/grub.cfg", dir);
	bad |= write_file(p, grub_cfg, sizeof grub_cfg - 1);
	snprintf(p, sizeof p, "%s.batch", out);
	bad |= write_file(p, batch, blen);
	snprintf(p, sizeof p, "%s.names", out);
	FILE *f = fopen(p, "w");
	for (size_t i = 0; f && i < nrun; i++)
		fprintf(f, "%s\n", run[i]->name);
	bad |= !f || fclose(f) != 0;
	if (bad) {
		fprintf(stderr, "nestvmx: metal: cannot write %s: %s\n", p, strerror(errno));
		goto out;
	}
	char iso[PROBE_PATH_MAX], tree[PROBE_PATH_MAX], log[PROBE_PATH_MAX];
	snprintf(iso, sizeof iso, "%s.iso", out);
	snprintf(tree, sizeof tree, "%s/iso", dir);
	snprintf(log, sizeof log, "%s/grub-mkrescue.log", dir);
	char *argv[] = { "grub-mkrescue", "-o", iso, tree, NULL };
	if (probe_spawn(argv, log, 120) != 0) {
		size_t l;
		char *t = probe_read_all(log, &l);
		fprintf(stderr, "nestvmx: metal: grub-mkrescue failed:\n%s\n", t ? t : "");
		free(t);
		goto out;
	}
	printf("metal: wrote %s (%zu cases) with %s.batch and %s.names beside it.\n"
	       "  Boot it on the Intel machine under test (USB stick: dd if=%s of=/dev/sdX bs=4M;\n"
	       "  or PXE/GRUB: multiboot probe.bin, module batch.bin, both inside the ISO's /boot),\n"
	       "  with VT-x enabled in the firmware, and capture COM1 at 115200 8N1 until DONE.\n"
	       "  Then: nestvmx collect LOG --batch %s.batch [--cases FILES...]\n",
	       iso, nrun, out, out, iso, out);
	rc = EXIT_UNAVAILABLE;
out:
	free(batch);
	free(run);
	probe_rmdir(dir);
	return rc;
}

static const struct backend metal_backend = {
	.name = "metal",
	.describe = "the probe kernel booted from GRUB on bare metal (writes an ISO; results via nestvmx collect)",
	.available = metal_available,
	.profile = metal_profile,
	.run = metal_run,
};
BACKEND_REGISTER(metal_backend);
