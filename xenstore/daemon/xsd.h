/* SPDX-License-Identifier: MIT */
/*
 * sdrv-xenstored's core: the daemon as a library, so that the program
 * (main.c) and the tests (which run it on a thread over the in-process
 * platform) share it.
 *
 * One thread runs xsd_run(): an epoll loop over the Unix listening socket,
 * the socket connections, the platform's event channel fd (guest rings) and
 * a stop eventfd.  Everything else is single-threaded inside that loop.
 */
#ifndef XSD_H
#define XSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitdrv/xs.h>

struct sdrv_platform;

/* Limits for unprivileged domains (dom0 and socket clients are exempt from
 * the per-domain ones, as in Xen's C daemon; every connection has the
 * output bounds, the path length and the transaction bounds). */
struct xsd_quota {
	uint32_t nodes; /* nodes a domain owns */
	uint32_t node_size; /* value + children names + perms, bytes */
	size_t memory; /* bytes a domain's nodes, watches and open
			* transactions hold */
	uint32_t tx_nodes; /* nodes one transaction may touch */
	uint32_t path_max; /* bytes past "/local/domain/<id>/" (or in all) */
	uint32_t write_rate; /* a guest's writes per second ... */
	uint32_t write_burst; /* ... after a burst of this many */
	uint32_t watches; /* per domain */
	uint32_t transactions; /* open at once, per connection */
	uint32_t outstanding; /* replies queued unread before we stop reading */
	uint32_t perms; /* entries in one permission list */
	size_t output_bytes; /* queued bytes before we stop reading */
	size_t tx_bytes; /* memory of one transaction */
};

struct xsd_config {
	struct xsd_quota quota;
	/* Guests' rings: a privileged domain of this platform maps their
	 * pages and binds their channels.  NULL: socket clients only. */
	struct sdrv_platform *platform;
	bool verbose;
};

void xsd_config_defaults(struct xsd_config *cfg);

struct xsd;

/* Return: 0 or -errno. */
int xsd_new(const struct xsd_config *cfg, struct xsd **out);
void xsd_free(struct xsd *d);
/* Listen on a Unix socket at @path (replacing a stale one), mode 0600.
 * Return: 0, -EADDRINUSE when a live daemon serves @path, -ENOENT when its
 * directory is missing, -ENAMETOOLONG, or another -errno. */
int xsd_listen(struct xsd *d, const char *path);
/* Adopt an already listening socket (live update). */
int xsd_listen_fd(struct xsd *d, int fd);
/* Serve until xsd_stop().  Return: 0 or -errno of epoll. */
int xsd_run(struct xsd *d);
/* From any thread or a signal handler. */
void xsd_stop(struct xsd *d);

/* Save everything a restarted daemon needs (nodes, permissions, introduced
 * domains and their watches) to @path; restore it into a fresh daemon
 * before xsd_run().  Return: 0 or -errno (-EINVAL: not a state file). */
int xsd_save(struct xsd *d, const char *path);
int xsd_restore(struct xsd *d, const char *path);

/* Counters for tests and CONTROL. */
struct xsd_stats {
	uint64_t nodes;
	uint64_t connections;
	uint64_t watches;
	uint64_t transactions;
	uint64_t requests;
	uint64_t errors;
	uint64_t events_dropped;
	uint64_t events_oversized; /* of those: over the payload limit */
	uint64_t conns_killed;
	size_t output_bytes;
};
void xsd_stats(struct xsd *d, struct xsd_stats *st);

#endif
