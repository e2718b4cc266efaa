/*
 * virt.c - see virt.h. Detection runs once; the answer is kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "conf.h"
#include "specifier.h"
#include "virt.h"

const char *virt_container_name(const char *value)
{
	static const char *const known[] = {
		"openvz", "lxc", "lxc-libvirt", "systemd-nspawn", "docker", "podman",
		"rkt",    "wsl", "proot",       "pouch",          NULL,
	};
	if (!value || !*value)
		return NULL;
	for (const char *const *k = known; *k; k++)
		if (strcmp(value, *k) == 0)
			return *k;
	return "container-other"; /* "oci" and any name systemd does not know */
}

/* container= in a NUL-separated environment block (/proc/1/environ). */
static bool environ_container(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	char block[16384];
	size_t n = fread(block, 1, sizeof block - 1, f);
	fclose(f);
	block[n] = '\0';
	for (size_t i = 0; i < n; i += strlen(block + i) + 1) {
		if (strncmp(block + i, "container=", 10) == 0) {
			snprintf(buf, len, "%s", block + i + 10);
			return true;
		}
	}
	return false;
}

static const char *detect_container(void)
{
	char v[256];
	if (access("/proc/vz", F_OK) == 0 && access("/proc/bc", F_OK) != 0)
		return "openvz";
	if (spec_first_line("/proc/sys/kernel/osrelease", v, sizeof v) && (strstr(v, "Microsoft") || strstr(v, "WSL")))
		return "wsl";
	if (spec_first_line("/run/host/container-manager", v, sizeof v))
		return virt_container_name(v);
	if (getpid() == 1) {
		const char *e = getenv("container");
		if (e && *e)
			return virt_container_name(e);
	} else if ((spec_first_line("/run/systemd/container", v, sizeof v) ||
		    environ_container("/proc/1/environ", v, sizeof v)) && *v) {
		return virt_container_name(v);
	}
	if (access("/run/.containerenv", F_OK) == 0)
		return "podman";
	if (access("/.dockerenv", F_OK) == 0)
		return "docker";
	return NULL;
}

const char *virt_vm_from_dmi(const char *vendor)
{
	static const struct {
		const char *prefix, *vm;
	} table[] = {
		{ "KVM", "kvm" },
		{ "OpenStack", "kvm" },
		{ "KubeVirt", "kvm" },
		{ "Amazon EC2", "amazon" },
		{ "QEMU", "qemu" },
		{ "VMware", "vmware" },
		{ "VMW", "vmware" },
		{ "innotek GmbH", "oracle" },
		{ "VirtualBox", "oracle" },
		{ "Oracle Corporation", "oracle" },
		{ "Xen", "xen" },
		{ "Bochs", "bochs" },
		{ "Parallels", "parallels" },
		{ "BHYVE", "bhyve" },
		{ "Hyper-V", "microsoft" },
		{ "Apple Virtualization", "apple" },
		{ "Google Compute Engine", "google" },
	};
	for (size_t i = 0; vendor && i < sizeof table / sizeof table[0]; i++)
		if (strncmp(vendor, table[i].prefix, strlen(table[i].prefix)) == 0)
			return table[i].vm;
	return NULL;
}

const char *virt_vm_from_cpuid(const char *sig)
{
	static const struct {
		const char *sig, *vm;
	} table[] = {
		{ "XenVMMXenVMM", "xen" },   { "KVMKVMKVM", "kvm" },	{ "Linux KVM Hv", "kvm" },
		{ "TCGTCGTCGTCG", "qemu" },  { "VMwareVMware", "vmware" }, { "Microsoft Hv", "microsoft" },
		{ "bhyve bhyve ", "bhyve" }, { "QNXQVMBSQG", "qnx" },	   { "ACRNACRNACRN", "acrn" },
		{ "SRESRESRESRE", "sre" },   { "Apple VZ", "apple" },
	};
	for (size_t i = 0; sig && i < sizeof table / sizeof table[0]; i++)
		if (strcmp(sig, table[i].sig) == 0)
			return table[i].vm;
	return NULL;
}

static const char *vm_dmi(void)
{
	static const char *const files[] = {
		"/sys/class/dmi/id/product_name", "/sys/class/dmi/id/sys_vendor", "/sys/class/dmi/id/board_vendor",
		"/sys/class/dmi/id/bios_vendor", "/sys/class/dmi/id/product_version",
	};
	char v[256];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		const char *vm = spec_first_line(files[i], v, sizeof v) ? virt_vm_from_dmi(v) : NULL;
		if (vm)
			return vm;
	}
	return NULL;
}

/* The hypervisor's signature (CPUID leaf 0x40000000), "vm-other" for a
 * hypervisor that gives none we know, NULL on bare metal. */
static const char *vm_cpuid(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 31)))
		return NULL; /* no hypervisor bit */
	__cpuid(0x40000000, a, b, c, d);
	char sig[13];
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = '\0';
	const char *vm = virt_vm_from_cpuid(sig);
	return vm ? vm : "vm-other";
#else
	return NULL;
#endif
}

static const char *detect_vm(void)
{
	const char *dmi = vm_dmi();
	/* These run on KVM or pass as Hyper-V: DMI names them better. */
	if (dmi && (!strcmp(dmi, "oracle") || !strcmp(dmi, "xen") || !strcmp(dmi, "amazon") ||
		    !strcmp(dmi, "parallels")))
		return dmi;
	const char *cpu = vm_cpuid();
	if (cpu && strcmp(cpu, "vm-other") != 0)
		return cpu;
	return dmi ? dmi : cpu;
}

static bool detected;
static const char *container, *vm;

static void detect(void)
{
	if (detected)
		return;
	container = detect_container();
	vm = detect_vm();
	detected = true;
}

const char *virt_container(void)
{
	detect();
	return container;
}

const char *virt_vm(void)
{
	detect();
	return vm;
}

bool virt_private_users(void)
{
	char v[256];
	/* The initial namespace maps every id: "0 0 4294967295". */
	if (!spec_first_line("/proc/self/uid_map", v, sizeof v))
		return false;
	unsigned long inner, outer, count;
	return sscanf(v, "%lu %lu %lu", &inner, &outer, &count) != 3 || inner != 0 || outer != 0 ||
	       count != 4294967295UL;
}

bool virt_condition(const char *value)
{
	bool b;
	if (strcmp(value, "private-users") == 0)
		return virt_private_users();
	if (conf_parse_bool(value, &b) == 0)
		return b == (virt_container() || virt_vm());
	if (strcmp(value, "vm") == 0)
		return virt_vm() != NULL;
	if (strcmp(value, "container") == 0)
		return virt_container() != NULL;
	const char *v = virt_container() ? virt_container() : virt_vm();
	return v && strcmp(v, value) == 0;
}
