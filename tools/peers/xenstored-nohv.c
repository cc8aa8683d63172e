/* SPDX-License-Identifier: MIT */
/*
 * xenstored-nohv.c - lets Xen's own C xenstored (Debian's xen-utils-4.17)
 * run on a machine with no Xen hypervisor, as a peer to measure and check
 * sdrv-xenstored against.  Loaded with LD_PRELOAD by xen-xenstored.sh.
 *
 * The daemon links libxenctrl, libxengnttab and libxenevtchn for what it
 * does with guests: look up domains, map their ring pages, bind and kick
 * their event channels.  Started with -D (no dom0 ring) and driven only
 * through its Unix socket, it needs none of that to work; it only must be
 * able to open the handles at start, and to set up domain 0's connection
 * (every socket client counts as domain 0).  So each call here is the
 * smallest answer that keeps it going:
 *   - domain 0 exists (and no other domain); its ring page and port, which
 *     the daemon reads from /proc/xen/xsd_kva and /proc/xen/xsd_port, are
 *     the files xsd_kva (one zeroed page) and xsd_port in
 *     $XEN_XENSTORED_DIR;
 *   - grant maps fail (no guest rings to map);
 *   - the event channel "device" is a pipe nobody writes to; binds return
 *     fresh port numbers, kicks go nowhere.
 * Symbols are unversioned: the loader takes them for the daemon's versioned
 * references.  Nothing here is Xen's code; the types come from Debian's
 * libxen-dev headers.
 */
/* open() and open64() are both defined here: neither may be renamed. */
#undef _FILE_OFFSET_BITS
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>

#define EXPORT __attribute__((visibility("default")))

/* ---- libxenctrl: an interface handle, and domain 0 ---------------------- */

static int interface_token;

EXPORT xc_interface *xc_interface_open(xentoollog_logger *logger,
				       xentoollog_logger *dombuild_logger,
				       unsigned open_flags)
{
	(void)logger;
	(void)dombuild_logger;
	(void)open_flags;
	return (xc_interface *)&interface_token;
}

EXPORT int xc_interface_close(xc_interface *xch)
{
	(void)xch;
	return 0;
}

/* Domains from @first on, at most @max: only domain 0 is there. */
EXPORT int xc_domain_getinfo(xc_interface *xch, uint32_t first,
			     unsigned int max, xc_dominfo_t *info)
{
	(void)xch;
	if (first > 0 || max == 0)
		return 0;
	memset(info, 0, sizeof(*info));
	info->domid = 0;
	info->running = 1;
	info->xenstore = 1;
	return 1;
}

/* ---- libxengnttab: nothing to map -------------------------------------- */

static int gnttab_token;

EXPORT xengnttab_handle *xengnttab_open(xentoollog_logger *logger,
					unsigned open_flags)
{
	(void)logger;
	(void)open_flags;
	return (xengnttab_handle *)&gnttab_token;
}

EXPORT int xengnttab_close(xengnttab_handle *xgt)
{
	(void)xgt;
	return 0;
}

EXPORT int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t count)
{
	(void)xgt;
	(void)count;
	return 0;
}

EXPORT void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid,
				     uint32_t ref, int prot)
{
	(void)xgt;
	(void)domid;
	(void)ref;
	(void)prot;
	errno = ENODEV; /* no guests on this machine */
	return NULL;
}

EXPORT int xengnttab_unmap(xengnttab_handle *xgt, void *start_address,
			   uint32_t count)
{
	(void)xgt;
	(void)start_address;
	(void)count;
	return 0;
}

/* ---- libxenevtchn: a quiet pipe and fresh port numbers ----------------- */

struct xenevtchn_handle {
	int fds[2]; /* [0] is what the daemon polls; nobody writes [1] */
	evtchn_port_t next_port;
};

static xenevtchn_handle *evtchn_new(void)
{
	xenevtchn_handle *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	if (pipe2(h->fds, O_CLOEXEC | O_NONBLOCK)) {
		free(h);
		return NULL;
	}
	h->next_port = 1;
	return h;
}

EXPORT xenevtchn_handle *xenevtchn_open(xentoollog_logger *logger,
					unsigned open_flags)
{
	(void)logger;
	(void)open_flags;
	return evtchn_new();
}

/* Live update hands the old fd over; here there is never one to adopt. */
EXPORT xenevtchn_handle *xenevtchn_fdopen(xentoollog_logger *logger, int fd,
					  unsigned open_flags)
{
	(void)fd;
	return xenevtchn_open(logger, open_flags);
}

EXPORT int xenevtchn_close(xenevtchn_handle *xce)
{
	if (xce) {
		close(xce->fds[0]);
		close(xce->fds[1]);
		free(xce);
	}
	return 0;
}

EXPORT int xenevtchn_fd(xenevtchn_handle *xce)
{
	return xce->fds[0];
}

EXPORT int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
	(void)xce;
	(void)port;
	return 0;
}

EXPORT xenevtchn_port_or_error_t
xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
			   evtchn_port_t remote_port)
{
	(void)domid;
	(void)remote_port;
	return (xenevtchn_port_or_error_t)xce->next_port++;
}

EXPORT xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce,
						     unsigned int virq)
{
	(void)virq;
	return (xenevtchn_port_or_error_t)xce->next_port++;
}

EXPORT int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
	(void)xce;
	(void)port;
	return 0;
}

EXPORT xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
	(void)xce;
	errno = EAGAIN;
	return -1;
}

EXPORT int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
	(void)xce;
	(void)port;
	return 0;
}

/* ---- domain 0's page and port, from files instead of /proc/xen --------- */

/* @path, or its stand-in in $XEN_XENSTORED_DIR (into @buf). */
static const char *stand_in(const char *path, char *buf, size_t len)
{
	const char *dir = getenv("XEN_XENSTORED_DIR");

	if (!dir || strncmp(path, "/proc/xen/xsd_", 14) != 0)
		return path;
	snprintf(buf, len, "%s/%s", dir, path + 10);
	return buf;
}

static int open_via(const char *symbol, const char *path, int flags,
		    mode_t mode)
{
	int (*real_open)(const char *, int, ...);
	char buf[4096];

	/* POSIX's way to take a function from dlsym() */
	*(void **)&real_open = dlsym(RTLD_NEXT, symbol);

	if (!real_open) {
		errno = ENOSYS;
		return -1;
	}
	return real_open(stand_in(path, buf, sizeof(buf)), flags, mode);
}

EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return open_via("open", path, flags, mode);
}

/* The same call on a 64-bit system, under its other name. */
EXPORT int open64(const char *path, int flags, ...)
	__attribute__((alias("open")));
