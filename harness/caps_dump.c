/* `nestvmx caps --dump`: the host's own capability profile, read with the
 * Linux msr driver (RDMSR of 0x3a and 0x480-0x493; an MSR the CPU does not
 * implement reads as EIO, i.e. absent) and CPUID. */
#include <errno.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include "backend.h"
#include "caps_cmd.h"
#include "doctor.h"

static int unavailable(char *why, size_t len, const char *fmt, const char *a, const char *b)
{
	snprintf(why, len, fmt, a, b);
	return EXIT_UNAVAILABLE;
}

/* CPUID facts, only when looking at the real host. */
static void read_cpuid(struct vmx_caps *c)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned a, b, cx, d;
	if (__get_cpuid(1, &a, &b, &cx, &d)) {
		c->cpuid1_eax = a;
		c->cpuid1_ecx = cx;
		c->cpuid1_edx = d;
	}
	if (__get_cpuid_count(7, 0, &a, &b, &cx, &d)) {
		c->cpuid7_ebx = b;
		c->cpuid7_ecx = cx;
	}
	if (__get_cpuid(0x80000008, &a, &b, &cx, &d)) {
		c->maxphyaddr = (uint8_t)a;
		c->linaddr = (uint8_t)(a >> 8);
	}
#else
	(void)c;
#endif
}

/* Why the msr device cannot be read, with the command that fixes it. */
static int msr_trouble(int err, const char *dev, char *why, size_t len)
{
	if (err == -ENOENT || err == -ENXIO || err == -ENODEV)
		return unavailable(why, len, "%s does not exist: load the msr driver (modprobe msr)%s",
				   dev, "");
	if (err == -EACCES || err == -EPERM)
		return unavailable(why, len, "%s: permission denied: run as root (RDMSR through the msr "
				   "driver needs CAP_SYS_RAWIO), e.g. sudo nestvmx caps --dump%s", dev, "");
	if (err == -EIO)
		return unavailable(why, len, "%s: IA32_VMX_BASIC cannot be read: VT-x is not exposed to "
				   "this CPU (a VM without nested VT-x?)%s", dev, "");
	return unavailable(why, len, "%s: %s", dev, strerror(-err));
}

int caps_dump_host(const char *root, int cpu, struct vmx_caps *out, char *brand, size_t brandlen,
		   char *why, size_t whylen)
{
	struct cpuinfo ci;
	char path[4096], dev[64];
	memset(out, 0, sizeof *out);
	int err = host_cpuinfo(root, &ci);
	if (err)
		return unavailable(why, whylen, "cannot read %s: %s", host_path(path, sizeof path, root,
				   "/proc/cpuinfo"), strerror(-err));
	if (strcmp(ci.vendor, "GenuineIntel") != 0)
		return unavailable(why, whylen, "this host's CPU is %s (%s): VMX capability MSRs exist "
				   "only on Intel CPUs; use a built-in profile (nestvmx caps --list)",
				   ci.vendor, ci.model);
	if (!ci.vmx)
		return unavailable(why, whylen, "the CPU (%s) does not report VT-x (no 'vmx' flag in "
				   "/proc/cpuinfo): enable Intel Virtualization Technology in the firmware "
				   "setup, or, in a VM, nested VT-x on its host%s", ci.model,
				   ci.hypervisor ? " (modprobe kvm_intel nested=1 there)" : "");
	snprintf(dev, sizeof dev, "/dev/cpu/%d/msr", cpu);
	uint64_t v;
	if ((err = host_rdmsr(root, cpu, CAP_MSR_FIRST, &v)) != 0)
		return msr_trouble(err, dev, why, whylen);
	if ((err = host_rdmsr(root, cpu, MSR_IA32_FEATURE_CONTROL, &out->feature_control)) != 0)
		return msr_trouble(err, dev, why, whylen);
	for (unsigned i = 0; i < CAP_NMSR; i++) {
		err = host_rdmsr(root, cpu, CAP_MSR_FIRST + i, &v);
		if (err == 0) {
			out->msr[i] = v;
			out->present |= 1u << i;
		} else if (err != -EIO) {
			return msr_trouble(err, dev, why, whylen);
		}
	}
	if (!root[0] || !strcmp(root, "/"))
		read_cpuid(out);
	snprintf(out->name, sizeof out->name, "host-f%u-m%u-s%u", ci.family, ci.model_no, ci.stepping);
	snprintf(brand, brandlen, "%s", ci.model);
	return 0;
}
