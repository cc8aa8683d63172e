/* SPDX-License-Identifier: MIT */
/*
 * hv-stub/xenstore.h - hv-stub's side of XenStore: what Xen's domain builder
 * and toolstack do for it.
 *
 * Each domain created (other than domain 0 and XenStore's own) gets its ring
 * page offered to XenStore's domain under grant 1 and an unbound event
 * channel for it (hvb_xenstore_setup), and is INTRODUCEd to the
 * XenStore daemon; a destroyed domain is RELEASEd.  The daemon answers
 * INTRODUCE by mapping the guest's page *through hv-stub*, so hv-stub never
 * waits for a reply: messages go out from a queue as the socket takes them,
 * replies are read by the event loop, and a refusal is logged with the
 * domain it concerns.
 *
 * XenStore runs in its own privileged domain, as Xen's xenstore stub
 * domain does: --xenstore-domid N (default 63, created as "Xenstore" if
 * missing; 0 puts it in domain 0, whose one process it then is).
 *   --xenstored PROGRAM   hv-stub runs PROGRAM (sdrv-xenstored's command
 *                         line) attached as that domain, on --xenstore
 *                         SOCKET (default /run/xenstored/socket), and stops
 *                         it on exit;
 *   --xenstore SOCKET     alone: a daemon someone else starts (it has to
 *                         start after hv-stub: it attaches to it).
 * Unanswered messages stay queued and are sent again on a new connection
 * (INTRODUCE of an introduced domain is harmless), so the daemon may start
 * late or restart (sdrv-xenstored --state) without a domain being lost.
 */
#ifndef HV_STUB_XENSTORE_H
#define HV_STUB_XENSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <splitdrv/common.h>
#include <splitdrv/xs.h>

#include "hv.h"

struct hvd;

#define HVD_XS_DEFAULT_STUBDOM 63u

struct hvd_xs {
	bool enabled;
	const char *socket_path; /* the daemon's socket */
	const char *program; /* --xenstored, or NULL */
	sdrv_domid_t domid; /* the domain XenStore runs in */
	bool domid_given;
	pid_t child; /* the daemon we run, or 0 */
	bool child_gone; /* the daemon we ran has exited */
	int fd; /* connection to the daemon, or -1 */
	int ready_fd; /* the child's --ready-fd pipe, or -1 */
	bool waiting_logged; /* "not reachable" said once per outage */
	bool introduced[HV_MAX_DOMAINS]; /* by domid: RELEASE is owed */
	/* Messages not yet answered, oldest first; out_sent bytes of them
	 * are on the current connection. */
	unsigned char *out;
	size_t out_len, out_cap, out_sent;
	/* A reply being read: header then payload. */
	_Alignas(4) unsigned char in[sizeof(struct sdrv_xs_msg) +
				     SDRV_XS_PAYLOAD_MAX];
	size_t in_len;
};

/* Record one of --xenstore, --xenstored, --xenstore-domid (@arg) with its
 * value; a bad value is a usage error (the program exits, saying why). */
void hvd_xs_option(struct hvd_xs *xs, const char *arg, const char *val);

/* True when hv-stub ran the daemon and it has exited: creating a guest
 * would leave it waiting on XenStore forever. */
bool hvd_xs_down(const struct hvd *d);

/* Domains that use XenStore: all but domain 0 and XenStore's own. */
unsigned hvd_xs_dependents(const struct hvd *d);

/* SIGCHLD: reap the daemon we run if it exited, and say so. */
void hvd_xs_child_exited(struct hvd *d);

/* After domain 0 exists and the loop's fds are open: create XenStore's
 * domain and start the daemon if asked.  Return: 0 or -1 (said). */
int hvd_xs_start(struct hvd *d);

/* Domain @id was just created: set up its ring and introduce it. */
void hvd_xs_domain_created(struct hvd *d, sdrv_domid_t id);
/* Domain @id is being destroyed: release it from XenStore. */
void hvd_xs_domain_destroyed(struct hvd *d, sdrv_domid_t id);

/* The event loop's share: @slot is HVD_SLOT_XS or HVD_SLOT_XS_READY. */
void hvd_xs_event(struct hvd *d, uint32_t slot, uint32_t events);
/* Before each wait: retry a lost connection.  Return: epoll timeout (ms,
 * -1 for none) until the next retry. */
int hvd_xs_tick(struct hvd *d);

/* Whether @id is XenStore's domain: like domain 0, it outlives its
 * process, so a restarted daemon takes up the guests again. */
bool hvd_xs_is_service_domain(const struct hvd *d, sdrv_domid_t id);

/* At exit: hvd_xs_stop() asks the daemon we run to stop (SIGTERM: it saves
 * its state if it keeps one) and closes our connection; once its hv-stub
 * connection is closed too, hvd_xs_reap() waits for it (bounded, then
 * SIGKILL). */
void hvd_xs_stop(struct hvd *d);
void hvd_xs_reap(struct hvd *d);

#endif
