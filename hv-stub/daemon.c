/* SPDX-License-Identifier: MIT */
/*
 * hv-stub/daemon.c - the hv-stub daemon: dom0 at start, a control socket,
 * one event loop.
 *
 *   hv-stub [--socket PATH] [--dom0-mem SIZE] [--on-crash destroy|preserve]
 *           [--xenstored PROGRAM] [--xenstore SOCKET] [--xenstore-domid N]
 *
 * A process becomes a domain by attaching on the socket; hv-stub notices its
 * death at once (the socket hangs up, kill -9 included) and destroys the
 * domain, or keeps it as "crashed" if so configured.  Single-threaded: each
 * connection gets at most HVD_BUDGET requests per turn, so no client can
 * starve the others.
 */
#define _GNU_SOURCE
#include "daemon.h"
#include "msg.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define DOM0_DEFAULT_FRAMES 16384u /* 64 MiB */

void hvd_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("hv-stub: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void hvd_conn_close_later(struct hvd_conn *c)
{
	c->closing = true;
}

void hvd_domain_destroy(struct hvd *d, sdrv_domid_t id, const char *why)
{
	struct hvd_domain *dd = &d->doms[id];
	struct hv_domain info;

	if (!hv_domain_info(&d->hv, id, &info))
		hvd_log("domain %u (%s): %s", id, info.name, why);
	if (dd->conn) {
		/* Its process is a domain no more: it may not attach again. */
		dd->conn->domid = -1;
		dd->conn = NULL;
	}
	hv_domain_destroy(&d->hv, id);
	hvd_xs_domain_destroyed(d, id);
	*dd = (struct hvd_domain){ 0 };
	for (unsigned i = 0; i < HVD_MAX_CONNS; i++)
		if (d->conns[i])
			d->conns[i]->sent_generation[id] = 0;
}

void hvd_domain_detach(struct hvd *d, struct hvd_conn *c, bool clean)
{
	sdrv_domid_t id = (sdrv_domid_t)c->domid;
	struct hvd_domain *dd = &d->doms[id];
	char why[112];

	if (id == 0 || hvd_xs_is_service_domain(d, id)) {
		hv_domain_reset(&d->hv, id);
		hvd_log("domain %u: process %d %s; its channels and mappings released, the domain stays",
			id, (int)c->pid, clean ? "shut down" : "went away");
		dd->conn = NULL;
		c->domid = -1;
	} else if (!clean && dd->on_crash == HVP_ON_CRASH_PRESERVE) {
		hvd_log("domain %u: process %d went away without shutting down; kept as crashed",
			id, (int)c->pid);
		dd->crashed = true;
		dd->conn = NULL;
		c->domid = -1;
	} else {
		snprintf(why, sizeof(why), clean ? "shut down by process %d"
				: "process %d went away without shutting down; destroyed",
			 (int)c->pid);
		hvd_domain_destroy(d, id, why);
	}
}

static void conn_close(struct hvd *d, unsigned slot)
{
	struct hvd_conn *c = d->conns[slot];

	if (c->domid >= 0)
		hvd_domain_detach(d, c, false);
	epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
	d->conns[slot] = NULL;
}

static void conn_accept(struct hvd *d)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct epoll_event ev = { .events = EPOLLIN };
	struct hvd_conn *c;
	unsigned slot;
	int fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (slot = 0; slot < HVD_MAX_CONNS && d->conns[slot]; slot++)
		;
	c = slot < HVD_MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
	if (!c || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
		if (!c)
			hvd_log("refusing a connection: %u connections open",
				HVD_MAX_CONNS);
		free(c);
		close(fd);
		return;
	}
	*c = (struct hvd_conn){ .fd = fd, .pid = cred.pid, .uid = cred.uid,
				.domid = -1 };
	ev.data.u32 = slot;
	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(c);
		close(fd);
		return;
	}
	d->conns[slot] = c;
}

/* Take up to HVD_BUDGET requests from the connection in @slot. */
static void conn_serve(struct hvd *d, unsigned slot, uint32_t events)
{
	struct hvd_conn *c = d->conns[slot];

	for (unsigned i = 0; i < HVD_BUDGET && !c->closing; i++) {
		long n = hvp_recv(c->fd, d->in, sizeof(d->in), NULL, NULL,
				  MSG_DONTWAIT);

		if (n == -EAGAIN)
			break;
		if (n < 0) {
			if (n == -EPROTO)
				hvd_log("pid %d%s: malformed message on the control socket; closing the connection",
					(int)c->pid,
					c->domid >= 0 ? " (a domain)" : "");
			c->closing = true;
			break;
		}
		hvd_dispatch(d, c, (size_t)n);
	}
	if ((events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLIN))
		c->closing = true;
	if (c->closing)
		conn_close(d, slot);
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	char *slash;
	int s;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "hv-stub: socket path %s: too long\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		goto fail;
	/* A socket file left by a dead daemon: take its place, but never
	 * a live daemon's. */
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		fprintf(stderr, "hv-stub: %s: another hv-stub is listening\n", path);
		close(s);
		return -1;
	}
	unlink(path);
	/* Anyone may connect: what each may do is decided per connection
	 * from its peer credentials. */
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0666) < 0 || listen(s, 64) < 0)
		goto fail;
	return s;
fail:
	fprintf(stderr, "hv-stub: socket %s: %s\n", path, strerror(errno));
	if (s >= 0)
		close(s);
	return -1;
}

static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10; end++; break;
	case '\0': break;
	default: return 0;
	}
	return *end ? 0 : v;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: hv-stub [--socket PATH] [--dom0-mem SIZE] [--on-crash destroy|preserve]\n"
		"               [--xenstored PROGRAM] [--xenstore SOCKET] [--xenstore-domid N]\n"
		"  --socket    control socket (default: $HVSTUB_SOCKET or %s)\n"
		"  --dom0-mem  memory of domain 0, e.g. 64M (default 64M)\n"
		"  --on-crash  what happens to a domain whose process dies without\n"
		"              shutting down, for domains created without a choice\n"
		"  --xenstored PROGRAM  run XenStore (sdrv-xenstored) in its own domain\n"
		"  --xenstore SOCKET    XenStore's socket (default %s);\n"
		"                       alone: introduce domains to a daemon started later\n"
		"  --xenstore-domid N   XenStore's privileged domain (default %u)\n",
		SDRV_HVSTUB_SOCKET_DEFAULT, SDRV_XS_SOCKET_DEFAULT,
		HVD_XS_DEFAULT_STUBDOM);
}

static int setup(struct hvd *d, int argc, char **argv)
{
	const char *path = getenv("HVSTUB_SOCKET");
	uint64_t dom0_bytes = (uint64_t)DOM0_DEFAULT_FRAMES * SDRV_PAGE_SIZE;
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t sigs;
	int err;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		int taken = val ? hvd_xs_option(&d->xs, arg, val) : 0;

		if (taken < 0)
			return -1;
		if (taken) {
			/* --xenstore* */
		} else if (!strcmp(arg, "--socket") && val) {
			path = val;
		} else if (!strcmp(arg, "--dom0-mem") && val) {
			dom0_bytes = parse_size(val);
			if (!dom0_bytes || dom0_bytes % SDRV_PAGE_SIZE) {
				fprintf(stderr, "hv-stub: --dom0-mem %s: not a size in whole pages\n", val);
				return -1;
			}
		} else if (!strcmp(arg, "--on-crash") && val) {
			if (!strcmp(val, "destroy"))
				d->default_on_crash = HVP_ON_CRASH_DESTROY;
			else if (!strcmp(val, "preserve"))
				d->default_on_crash = HVP_ON_CRASH_PRESERVE;
			else {
				fprintf(stderr, "hv-stub: --on-crash %s: expected destroy or preserve\n", val);
				return -1;
			}
		} else {
			usage();
			return -1;
		}
		i++;
	}
	d->socket_path = path && *path ? path : SDRV_HVSTUB_SOCKET_DEFAULT;
	if (!d->default_on_crash)
		d->default_on_crash = HVP_ON_CRASH_DESTROY;
	if (hv_init(&d->hv))
		return -1;
	err = hv_domain_create(&d->hv, 0, "Domain-0",
			       (uint32_t)(dom0_bytes / SDRV_PAGE_SIZE), true);
	if (err) {
		fprintf(stderr, "hv-stub: domain 0: %s\n", strerror(-err));
		return -1;
	}
	d->doms[0] = (struct hvd_domain){ .exists = true,
					  .owner_uid = geteuid(),
					  .on_crash = HVP_ON_CRASH_PRESERVE };
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->signal_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
	d->listen_fd = listen_on(d->socket_path);
	d->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (d->listen_fd < 0 || d->signal_fd < 0 || d->epoll_fd < 0)
		return -1;
	ev.data.u32 = HVD_SLOT_LISTEN;
	epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, d->listen_fd, &ev);
	ev.data.u32 = HVD_SLOT_SIGNAL;
	epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, d->signal_fd, &ev);
	hvd_log("listening on %s (domain 0: %llu KiB)", d->socket_path,
		(unsigned long long)(dom0_bytes / 1024));
	return hvd_xs_start(d);
}

int main(int argc, char **argv)
{
	static struct hvd d; /* two 64 KiB message buffers: not on the stack */
	struct epoll_event evs[64];
	bool running = true;

	if (setup(&d, argc, argv))
		return 1;
	while (running) {
		int n = epoll_wait(d.epoll_fd, evs, 64, hvd_xs_tick(&d));

		if (n < 0 && errno != EINTR) {
			hvd_log("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			uint32_t slot = evs[i].data.u32;

			if (slot == HVD_SLOT_LISTEN)
				conn_accept(&d);
			else if (slot == HVD_SLOT_SIGNAL)
				running = false;
			else if (slot == HVD_SLOT_XS || slot == HVD_SLOT_XS_READY)
				hvd_xs_event(&d, slot, evs[i].events);
			else if (d.conns[slot])
				conn_serve(&d, slot, evs[i].events);
		}
	}
	hvd_log("shutting down");
	hvd_xs_stop(&d);
	for (unsigned i = 0; i < HVD_MAX_CONNS; i++)
		if (d.conns[i]) {
			d.conns[i]->domid = -1; /* not a crash */
			conn_close(&d, i);
		}
	hvd_xs_reap(&d);
	hv_fini(&d.hv);
	unlink(d.socket_path);
	return 0;
}
