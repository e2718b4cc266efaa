/*
 * test_condition.c - Condition*=/Assert*= (condition.c): parsing, each
 * check against a real file system and process, and the list rules
 * ('|' triggering, '!' negation, conditions apart from assertions).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "condition.h"
#include "conf.h"
#include "virt.h"

static struct cond mk(enum cond_type t, const char *v)
{
	struct cond c;
	char why[256];
	cr_assert_eq(cond_parse(t, false, v, &c, why, sizeof why), 0, "%s: %s", v, why);
	return c;
}

static bool holds(enum cond_type t, const char *v)
{
	struct cond c = mk(t, v);
	bool r = cond_test(&c);
	free(c.param);
	return r;
}

Test(condition, lookup_and_parse)
{
	enum cond_type t;
	bool a;
	cr_assert_eq(cond_lookup("ConditionPathExists", &t, &a), 0);
	cr_expect(t == COND_PATH_EXISTS && !a);
	cr_assert_eq(cond_lookup("AssertFileNotEmpty", &t, &a), 0);
	cr_expect(t == COND_FILE_NOT_EMPTY && a);
	cr_expect_eq(cond_lookup("ConditionControlGroupController", &t, &a), -ENOENT);
	cr_expect_eq(cond_lookup("PathExists", &t, &a), -ENOENT);

	struct cond c;
	char why[256];
	cr_assert_eq(cond_parse(COND_PATH_EXISTS, false, "|!/etc", &c, why, sizeof why), 0);
	cr_expect(c.trigger && c.negate);
	cr_expect_str_eq(c.param, "/etc");
	char d[128];
	cond_describe(&c, d, sizeof d);
	cr_expect_str_eq(d, "ConditionPathExists=|!/etc");
	free(c.param);
	cr_expect_eq(cond_parse(COND_PATH_EXISTS, false, "etc", &c, why, sizeof why), -EINVAL);
	cr_expect(strstr(why, "not an absolute path"), "%s", why);
	cr_expect_eq(cond_parse(COND_PATH_EXISTS, false, "|!", &c, why, sizeof why), -EINVAL);
	cr_expect_eq(cond_parse(COND_CPUS, false, ">=x", &c, why, sizeof why), -EINVAL);
	cr_expect_eq(cond_parse(COND_MEMORY, false, "<1Q", &c, why, sizeof why), -EINVAL);
}

Test(condition, paths)
{
	char dir[] = "/tmp/supd-cond-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char f[128], empty[128], ex[128], ln[128], sub[128], hidden[128], g[160];
	snprintf(f, sizeof f, "%s/file", dir);
	snprintf(empty, sizeof empty, "%s/empty", dir);
	snprintf(ex, sizeof ex, "%s/exe", dir);
	snprintf(ln, sizeof ln, "%s/link", dir);
	snprintf(sub, sizeof sub, "%s/sub", dir);
	snprintf(hidden, sizeof hidden, "%s/sub/.hidden", dir);
	FILE *fp = fopen(f, "w");
	fputs("x", fp);
	fclose(fp);
	fclose(fopen(empty, "w"));
	fclose(fopen(ex, "w"));
	chmod(ex, 0755);
	cr_assert_eq(symlink(f, ln), 0);
	cr_assert_eq(mkdir(sub, 0755), 0);

	cr_expect(holds(COND_PATH_EXISTS, f));
	cr_expect(!holds(COND_PATH_EXISTS, "/nonexistent/x"));
	cr_expect(holds(COND_PATH_EXISTS, "!/nonexistent/x"));
	snprintf(g, sizeof g, "%s/fi*", dir);
	cr_expect(holds(COND_PATH_EXISTS_GLOB, g));
	snprintf(g, sizeof g, "%s/nothing*", dir);
	cr_expect(!holds(COND_PATH_EXISTS_GLOB, g));
	cr_expect(holds(COND_PATH_IS_DIRECTORY, dir));
	cr_expect(!holds(COND_PATH_IS_DIRECTORY, f));
	cr_expect(holds(COND_PATH_IS_SYMBOLIC_LINK, ln));
	cr_expect(!holds(COND_PATH_IS_SYMBOLIC_LINK, f));
	cr_expect(holds(COND_PATH_IS_MOUNT_POINT, "/"));
	cr_expect(holds(COND_PATH_IS_MOUNT_POINT, "/proc"));
	cr_expect(!holds(COND_PATH_IS_MOUNT_POINT, sub));
	cr_expect(holds(COND_PATH_IS_READ_WRITE, dir));
	cr_expect(!holds(COND_PATH_IS_READ_WRITE, "/nonexistent/x"));
	cr_expect(holds(COND_FILE_NOT_EMPTY, f));
	cr_expect(!holds(COND_FILE_NOT_EMPTY, empty));
	cr_expect(!holds(COND_FILE_NOT_EMPTY, dir));
	cr_expect(holds(COND_FILE_IS_EXECUTABLE, ex));
	cr_expect(!holds(COND_FILE_IS_EXECUTABLE, f));
	/* Hidden files do not count, as in systemd. */
	cr_expect(!holds(COND_DIRECTORY_NOT_EMPTY, sub));
	fclose(fopen(hidden, "w"));
	cr_expect(!holds(COND_DIRECTORY_NOT_EMPTY, sub));
	cr_expect(holds(COND_DIRECTORY_NOT_EMPTY, dir));

	unlink(hidden);
	rmdir(sub);
	unlink(ln);
	unlink(ex);
	unlink(empty);
	unlink(f);
	rmdir(dir);
}

Test(condition, process_and_host)
{
	char buf[64];
	snprintf(buf, sizeof buf, "%u", (unsigned)getuid());
	cr_expect(holds(COND_USER, buf));
	cr_expect(!holds(COND_USER, "4000000"));
	if (getuid() == 0) {
		cr_expect(holds(COND_USER, "root"));
		cr_expect(holds(COND_USER, "@system"));
		cr_expect(holds(COND_GROUP, "root"));
		cr_expect(holds(COND_GROUP, "0"));
	}
	cr_expect(!holds(COND_USER, "no-such-user-here"));
	cr_expect(!holds(COND_GROUP, "no-such-group-here"));

	setenv("SUPD_COND_TEST", "on", 1);
	cr_expect(holds(COND_ENVIRONMENT, "SUPD_COND_TEST"));
	cr_expect(holds(COND_ENVIRONMENT, "SUPD_COND_TEST=on"));
	cr_expect(!holds(COND_ENVIRONMENT, "SUPD_COND_TEST=off"));
	cr_expect(!holds(COND_ENVIRONMENT, "SUPD_COND_TES"));
	unsetenv("SUPD_COND_TEST");

	char host[256] = "";
	gethostname(host, sizeof host - 1);
	cr_expect(holds(COND_HOST, host));
	cr_expect(holds(COND_HOST, "*"));
	cr_expect(!holds(COND_HOST, "surely-not-this-host-name"));

	cr_expect(holds(COND_ARCHITECTURE, "native"));
	cr_expect(!holds(COND_ARCHITECTURE, "no-such-arch"));

	cr_expect(holds(COND_CPUS, ">=1"));
	cr_expect(!holds(COND_CPUS, ">100000"));
	cr_expect(holds(COND_MEMORY, ">1M"));
	cr_expect(holds(COND_MEMORY, "<1048576T"));

	/* /proc/cmdline: whatever its first word is. */
	FILE *fp = fopen("/proc/cmdline", "r");
	char line[4096] = "";
	if (fp) {
		if (!fgets(line, sizeof line, fp))
			line[0] = '\0';
		fclose(fp);
	}
	char *w = strtok(line, " \t\n");
	if (w) {
		cr_expect(holds(COND_KERNEL_COMMAND_LINE, w));
		char *eq = strchr(w, '=');
		if (eq) {
			*eq = '\0';
			cr_expect(holds(COND_KERNEL_COMMAND_LINE, w), "a bare name matches NAME=VALUE");
		}
	}
	cr_expect(!holds(COND_KERNEL_COMMAND_LINE, "supd_no_such_word"));
}

/* Capability, Credential, ACPower, FirstBoot, NeedsUpdate, Security:
 * checked against what this process and machine have. */
Test(condition, system_state)
{
	/* Capability: the bounding set, here this test's own. */
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long bnd = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "CapBnd: %llx", &bnd) == 1)
			break;
	if (f)
		fclose(f);
	cr_expect_eq(holds(COND_CAPABILITY, "CAP_CHOWN"), (bnd & 1) != 0);
	cr_expect_eq(holds(COND_CAPABILITY, "cap_sys_resource"), (bnd >> 24 & 1) != 0);
	struct cond c;
	char why[256];
	cr_expect_eq(cond_parse(COND_CAPABILITY, false, "CAP_BOGUS", &c, why, sizeof why), -EINVAL);
	cr_expect(strstr(why, "not a capability"), "%s", why);

	/* Credential: the daemon's own, in its $CREDENTIALS_DIRECTORY. */
	char dir[] = "/tmp/supd-cond-XXXXXX", file[64];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(file, sizeof file, "%s/token", dir);
	FILE *t = fopen(file, "w");
	cr_assert_not_null(t);
	fclose(t);
	unsetenv("CREDENTIALS_DIRECTORY");
	cr_expect(!holds(COND_CREDENTIAL, "token"), "no credentials at all");
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	cr_expect(holds(COND_CREDENTIAL, "token"));
	cr_expect(!holds(COND_CREDENTIAL, "other"));
	cr_expect(!holds(COND_CREDENTIAL, "../tmp"), "not a credential name");
	unsetenv("CREDENTIALS_DIRECTORY");
	unlink(file);
	rmdir(dir);

	/* Booleans: one of the two holds, whatever the machine. */
	cr_expect_neq(holds(COND_AC_POWER, "yes"), holds(COND_AC_POWER, "no"));
	cr_expect_neq(holds(COND_FIRST_BOOT, "true"), holds(COND_FIRST_BOOT, "false"));
	cr_expect_eq(holds(COND_FIRST_BOOT, "yes"), access("/run/systemd/first-boot", F_OK) == 0);
	cr_expect_eq(cond_parse(COND_AC_POWER, false, "perhaps", &c, why, sizeof why), -EINVAL);

	/* NeedsUpdate: only /etc and /var; a missing stamp means "needed". */
	cr_expect(!holds(COND_NEEDS_UPDATE, "/usr"));
	if (access("/etc/.updated", F_OK) != 0)
		cr_expect(holds(COND_NEEDS_UPDATE, "/etc"));

	/* Security: unknown names never hold; audit is this kernel's. */
	cr_expect(!holds(COND_SECURITY, "no-such-framework"));
	cr_expect_eq(holds(COND_SECURITY, "apparmor"), access("/sys/module/apparmor/parameters/enabled", F_OK) == 0 &&
								 holds(COND_SECURITY, "apparmor"));
	cr_expect_eq(holds(COND_SECURITY, "smack"), access("/sys/fs/smackfs/", F_OK) == 0);
}

Test(condition, lists)
{
	struct cond v[4];
	const struct cond *bad;
	v[0] = mk(COND_PATH_EXISTS, "/");
	v[1] = mk(COND_PATH_EXISTS, "|/nonexistent/a");
	v[2] = mk(COND_PATH_EXISTS, "|/nonexistent/b");
	cr_expect(!cond_list_test(v, 3, false, &bad), "no triggering check held");
	cr_expect_eq(bad, &v[2]);
	v[3] = mk(COND_PATH_EXISTS, "|/");
	cr_expect(cond_list_test(v, 4, false, &bad), "one triggering check is enough");
	/* Assertions are a list of their own. */
	v[0].assert = true;
	free(v[0].param);
	v[0].param = strdup("/nonexistent/c");
	cr_expect(cond_list_test(v, 4, false, &bad));
	cr_expect(!cond_list_test(v, 4, true, &bad));
	cr_expect_eq(bad, &v[0]);
	for (int i = 0; i < 4; i++)
		free(v[i].param);
}

Test(condition, in_unit_files)
{
	struct unit_conf c;
	char err[512];
	const char *t = "[Unit]\nConditionPathExists=/a\nConditionPathExists=\nConditionPathExists=|/b\n"
			"AssertPathIsDirectory=!/c\nConditionControlGroupController=cpu\n[Service]\nExecStart=/bin/true\n";
	cr_assert_eq(conf_load_text("x.service", "/u/x.service", t, strlen(t), &c, err, sizeof err, NULL, NULL), 0, "%s",
		     err);
	cr_assert_eq(c.n_conds, 2, "the empty value resets the conditions before it");
	cr_expect_str_eq(c.conds[0].param, "/b");
	cr_expect(c.conds[0].trigger);
	cr_expect(c.conds[1].assert && c.conds[1].negate);
	conf_free(&c);

	t = "[Unit]\nConditionPathExists=relative\n[Service]\nExecStart=/bin/true\n";
	cr_expect_eq(conf_load_text("x.service", "/u/x.service", t, strlen(t), &c, err, sizeof err, NULL, NULL), -EINVAL);
	cr_expect(strstr(err, "/u/x.service:2: bad value for ConditionPathExists="), "%s", err);
	/* Specifiers are resolved first. */
	t = "[Unit]\nConditionPathExists=/run/%N.flag\n[Service]\nExecStart=/bin/true\n";
	cr_assert_eq(conf_load_text("web.service", "/u/web.service", t, strlen(t), &c, err, sizeof err, NULL, NULL), 0);
	cr_expect_str_eq(c.conds[0].param, "/run/web.flag");
	conf_free(&c);
}

/* systemd's names for what a container manager or DMI/CPUID says. */
Test(condition, virtualization_names)
{
	cr_expect_str_eq(virt_container_name("docker"), "docker");
	cr_expect_str_eq(virt_container_name("lxc-libvirt"), "lxc-libvirt");
	cr_expect_str_eq(virt_container_name("oci"), "container-other");
	cr_expect_str_eq(virt_container_name("something-new"), "container-other");
	cr_expect_null(virt_container_name(""));
	cr_expect_str_eq(virt_vm_from_dmi("QEMU"), "qemu");
	cr_expect_str_eq(virt_vm_from_dmi("innotek GmbH"), "oracle");
	cr_expect_str_eq(virt_vm_from_dmi("Amazon EC2"), "amazon");
	cr_expect_str_eq(virt_vm_from_dmi("VMware, Inc."), "vmware");
	cr_expect_null(virt_vm_from_dmi("Dell Inc."));
	cr_expect_str_eq(virt_vm_from_cpuid("KVMKVMKVM"), "kvm");
	cr_expect_str_eq(virt_vm_from_cpuid("Microsoft Hv"), "microsoft");
	cr_expect_null(virt_vm_from_cpuid("GenuineIntel"));
}

/* What systemd-detect-virt prints for one of its modes: its answer, or
 * "none"; false when the program is missing. */
static bool detect_virt(const char *mode, char *out, size_t len)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "systemd-detect-virt %s 2>/dev/null", mode);
	FILE *p = popen(cmd, "r");
	if (!p)
		return false;
	out[0] = '\0';
	if (!fgets(out, (int)len, p))
		out[0] = '\0';
	int st = pclose(p);
	out[strcspn(out, "\n")] = '\0';
	return WIFEXITED(st) && WEXITSTATUS(st) <= 1 && out[0];
}

/* The same answers as systemd's own tool on this machine, and
 * ConditionVirtualization= follows them. */
Test(condition, virtualization_as_systemd_sees_it)
{
	char all[64], ct[64], vm[64];
	if (!detect_virt("", all, sizeof all) || !detect_virt("--container", ct, sizeof ct) ||
	    !detect_virt("--vm", vm, sizeof vm))
		cr_skip_test("systemd-detect-virt is not installed");
	const char *c = virt_container(), *v = virt_vm();
	cr_expect_str_eq(c ? c : "none", ct, "container");
	cr_expect_str_eq(v ? v : "none", vm, "virtual machine");
	bool any = strcmp(all, "none") != 0;
	cr_expect_eq(holds(COND_VIRTUALIZATION, "yes"), any);
	cr_expect_eq(holds(COND_VIRTUALIZATION, "no"), !any);
	cr_expect_eq(holds(COND_VIRTUALIZATION, "container"), strcmp(ct, "none") != 0);
	cr_expect_eq(holds(COND_VIRTUALIZATION, "!container"), strcmp(ct, "none") == 0);
	cr_expect_eq(holds(COND_VIRTUALIZATION, "vm"), strcmp(vm, "none") != 0);
	if (any)
		cr_expect(holds(COND_VIRTUALIZATION, all), "ConditionVirtualization=%s", all);
	cr_expect(!holds(COND_VIRTUALIZATION, "bochs") || !strcmp(all, "bochs"));
	char pu[64];
	if (detect_virt("--private-users", pu, sizeof pu) || pu[0] == '\0') {
		/* prints nothing: the exit status says it */
		int st = system("systemd-detect-virt -q --private-users");
		cr_expect_eq(holds(COND_VIRTUALIZATION, "private-users"), WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
}

/* The unit-level check: conditions first, then assertions, with the
 * message both services and sockets log. */
Test(condition, check_of_a_unit)
{
	char why[256];
	struct cond v[2] = { mk(COND_PATH_EXISTS, "/"), mk(COND_PATH_IS_DIRECTORY, "/nonexistent/x") };
	v[1].assert = true;
	cr_expect_eq(cond_check(v, 1, why, sizeof why), 0);
	cr_expect_eq(cond_check(v, 2, why, sizeof why), -1);
	cr_expect_str_eq(why, "AssertPathIsDirectory=/nonexistent/x failed");
	struct cond w[2] = { mk(COND_PATH_EXISTS, "/nonexistent/y"), v[1] };
	cr_expect_eq(cond_check(w, 2, why, sizeof why), 1, "a condition comes before an assertion");
	cr_expect_str_eq(why, "ConditionPathExists=/nonexistent/y was not met");
	cr_expect_eq(cond_check(NULL, 0, why, sizeof why), 0);
	free(v[0].param);
	free(v[1].param);
	free(w[0].param);
}
