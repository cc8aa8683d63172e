/* SPDX-License-Identifier: MIT */
/*
 * Test harness: sdrv-xenstored's core on a thread, serving a Unix socket
 * and, through the in-process platform, guests' ring pages (the daemon is
 * privileged domain XS_DOMID; guests are unprivileged domains whose
 * XenStore the harness sets up and introduces, as a toolstack does).
 */
#ifndef TESTS_XS_ENV_H
#define TESTS_XS_ENV_H

#include <pthread.h>
#include <stdbool.h>

#include <splitdrv/platform.h>

#include "inproc.h"
#include <splitdrv/xs.h>

#include "xsd.h"

#define XS_DOMID 1

struct xs_env {
	struct sdrv_inproc_hv *hv;
	struct sdrv_platform *plat; /* the daemon's domain */
	struct xsd *d;
	pthread_t thread;
	char dir[64];
	char sock[128];
};

/* Start with @quota (NULL: defaults). */
void xs_env_start(struct xs_env *e, const struct xsd_quota *quota);
void xs_env_stop(struct xs_env *e);
/* A privileged client on the socket. */
struct sdrv_xs *xs_env_dom0(struct xs_env *e);

struct xs_guest {
	sdrv_domid_t domid;
	struct sdrv_platform *plat;
	struct sdrv_xs *xs;
	sdrv_evtchn_port_t port;
};
/* Create domain @domid, set up and introduce its XenStore (/local/domain/<id>
 * made and given to it, as a toolstack does), and connect over its ring. */
void xs_guest_start(struct xs_env *e, struct xs_guest *g, sdrv_domid_t domid);
void xs_guest_stop(struct xs_env *e, struct xs_guest *g);

/* A raw socket to the daemon, and one request/reply on it: the reply's
 * type and payload (NUL-terminated) or -1 when the daemon closed it. */
int xs_raw_connect(struct xs_env *e);
int xs_raw_request(int fd, uint32_t type, uint32_t tx, const void *payload,
		   size_t len, char *reply, size_t reply_len);

/*
 * Heap bytes this process holds now, in KiB: the daemon's core runs in it,
 * so the difference across a test is what the daemon kept.  Counted by
 * the allocator (AddressSanitizer's under ASan, whose quarantine would
 * make the resident size say nothing), not by the kernel.
 */
long xs_env_heap_kib(void);

/* A number from CONTROL stats, e.g. "output-bytes". */
long long xs_env_stat(struct sdrv_xs *dom0, const char *name);

#endif
