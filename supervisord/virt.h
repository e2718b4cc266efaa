/*
 * virt.h - which virtual machine or container the daemon runs in, named as
 * systemd-detect-virt names them, for ConditionVirtualization=.
 *
 * A container is found, in systemd 252's order, from: /proc/vz without
 * /proc/bc (openvz); "Microsoft" or "WSL" in the kernel's release (wsl);
 * /run/host/container-manager; /run/systemd/container, or else the
 * container= variable of PID 1 (its own environment when we are PID 1);
 * then /run/.containerenv (podman) and /.dockerenv (docker).
 *
 * A virtual machine, in systemd's order too: the DMI strings of Oracle
 * VirtualBox, Xen, Amazon EC2 and Parallels (which may run on KVM); the
 * hypervisor's CPUID signature (x86); then any other DMI vendor systemd
 * knows. Not detected here: Xen PV without DMI, User Mode Linux, z/VM,
 * PowerVM and device-tree hypervisors.
 */
#ifndef SUPD_VIRT_H
#define SUPD_VIRT_H

#include <stdbool.h>

/* The container's name ("docker", "lxc", "container-other", ...), or NULL. */
const char *virt_container(void);
/* The virtual machine's name ("kvm", "qemu", "vm-other", ...), or NULL. */
const char *virt_vm(void);
/* In a user namespace that does not map every id? */
bool virt_private_users(void);
/* ConditionVirtualization=VALUE, without negation: a boolean (any
 * virtualization), "vm", "container", "private-users", or a name, which
 * the container's (or, outside one, the machine's) must be. */
bool virt_condition(const char *value);

/* For tests: a name from the value of container= or container-manager
 * (systemd's translation), and the VM behind a DMI vendor string or CPUID
 * signature; NULL when unknown. */
const char *virt_container_name(const char *value);
const char *virt_vm_from_dmi(const char *vendor);
const char *virt_vm_from_cpuid(const char *signature);

#endif
