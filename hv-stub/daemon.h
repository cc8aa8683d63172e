/* SPDX-License-Identifier: MIT */
/*
 * hv-stub/daemon.h - the hv-stub daemon: the core (core/hv.h) behind a
 * control socket.  daemon.c owns the socket, the connections and the event
 * loop; dispatch.c answers one message.
 */
#ifndef HV_STUB_DAEMON_H
#define HV_STUB_DAEMON_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "hv.h"
#include "proto.h"
#include "xenstore.h"

/* Connections at once, shared out as proto.h states. */
#define HVD_MAX_CONNS HVP_MAX_CONNS
#define HVD_CONNS_ADMIN HVP_CONNS_ADMIN
#define HVD_CONNS_PER_USER HVP_CONNS_PER_USER
/* Work taken from one connection per turn of the loop, in units of about
 * one small hypercall (a message costs 1, plus one per 4 KiB it copies and
 * one per 8 grants it maps): a domain keeping big batches in flight waits
 * its turn behind every other connection, whose hypercalls then wait for
 * at most one budget of each busy one. */
#define HVD_WORK_BUDGET 64u

/* epoll slots: connections are 0..HVD_MAX_CONNS-1, then these. */
#define HVD_SLOT_LISTEN HVD_MAX_CONNS
#define HVD_SLOT_SIGNAL (HVD_MAX_CONNS + 1)
#define HVD_SLOT_XS (HVD_MAX_CONNS + 2)
#define HVD_SLOT_XS_READY (HVD_MAX_CONNS + 3)

struct hvd_conn {
	int fd;
	pid_t pid;
	uid_t uid;
	bool admin; /* root or hv-stub's user: may run the toolstack */
	int domid; /* attached domain, or -1 */
	bool closing; /* close after this turn */
	/* A privileged process pinning grants itself (HVP_GRANT_FASTPATH):
	 * its lock token and the log of pins it holds (NULL: none). */
	uint32_t pin_token;
	struct hvp_pin_log *pin_log_hdr;
	struct sdrv_gnt_pin *pin_log; /* after the header */
};

/* The daemon's own view of a domain, beside the core's. */
struct hvd_domain {
	bool exists;
	uid_t owner_uid;
	uint32_t on_crash; /* HVP_ON_CRASH_* */
	bool crashed;
	struct hvd_conn *conn; /* attached process, or NULL */
};

struct hvd {
	struct hv hv;
	int listen_fd, epoll_fd, signal_fd;
	const char *socket_path;
	uint32_t default_on_crash;
	uint32_t next_pin_token; /* the next backend's (> HV_PIN_TOKEN_CORE) */
	bool failed; /* stop the loop and exit non-zero (XenStore failed) */
	struct hvd_conn *conns[HVD_MAX_CONNS];
	unsigned nr_user_conns; /* held by users other than the toolstack's */
	time_t refusal_logged; /* when a refused connection was last logged */
	struct hvd_domain doms[HV_MAX_DOMAINS];
	struct hvd_xs xs;
	_Alignas(8) unsigned char in[HVP_MAX_MSG];
	_Alignas(8) unsigned char out[HVP_MAX_MSG];
};

/* Answer the message in d->in (@len payload bytes, @fds received) from @c.
 * Always replies unless the connection is to close.  Return: the work it
 * took, in HVD_WORK_BUDGET units (at least 1). */
unsigned hvd_dispatch(struct hvd *d, struct hvd_conn *c, size_t len);

/* Answer the request whose header is in d->in with @status alone (its
 * payload could not be read).  A one-way send gets no answer. */
void hvd_refuse(struct hvd *d, struct hvd_conn *c, int status);

/* A domain ends: destroy it in the core and forget its process. */
void hvd_domain_destroy(struct hvd *d, sdrv_domid_t id, const char *why);

/* How a domain's process lets go of it. */
enum hvd_detach {
	HVD_DETACH_RELEASE, /* sdrv_platform_detach(): the domain lives on */
	HVD_DETACH_SHUTDOWN, /* sdrv_platform_shutdown(): the domain ends */
	HVD_DETACH_CRASH, /* the process went away without either */
};

/* Domain @c->domid's process lets go of it (@how).  Released: its channels
 * (but XenStore's) and mappings go, the domain stays for its next process.
 * Shut down: destroyed.  Crashed: destroyed, or kept as crashed per its
 * on_crash.  Domain 0 and XenStore's domain are never destroyed this way:
 * they are released. */
void hvd_domain_detach(struct hvd *d, struct hvd_conn *c, enum hvd_detach how);

/* Forget @c's pin log; if @recover, first undo the pins it left (its
 * process is gone). */
void hvd_fastpath_end(struct hvd *d, struct hvd_conn *c, bool recover);

/* Mark @c to be closed after this turn of the loop. */
void hvd_conn_close_later(struct hvd_conn *c);

/* One line on stderr, prefixed "hv-stub: ". */
void hvd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
