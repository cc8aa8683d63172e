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
 * connection gets at most HVD_WORK_BUDGET units of work per turn, so no
 * client can starve the others.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "daemon.h"
#include "msg.h"

#include <errno.h>
#include <getopt.h>
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
#include <time.h>
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
	for (unsigned i = 0; i < HVD_MAX_CONNS; i++) {
		struct hvd_conn *c = d->conns[i];

		if (!c)
			continue;
		/* backends with views: drop the dead domain's (pairs with
		 * the acquire in grant_fast_copy()) */
		if (c->pin_log_hdr)
			__atomic_fetch_add(&c->pin_log_hdr->deaths, 1,
					   __ATOMIC_RELEASE);
	}
}

void hvd_domain_detach(struct hvd *d, struct hvd_conn *c, enum hvd_detach how)
{
	static const char *const how_name[] = {
		[HVD_DETACH_RELEASE] = "detached",
		[HVD_DETACH_SHUTDOWN] = "shut down",
		[HVD_DETACH_CRASH] = "went away",
	};
	sdrv_domid_t id = (sdrv_domid_t)c->domid;
	struct hvd_domain *dd = &d->doms[id];
	bool clean = how != HVD_DETACH_CRASH;
	char why[112];

	if (how == HVD_DETACH_RELEASE || id == 0 ||
	    hvd_xs_is_service_domain(d, id)) {
		hv_domain_reset(&d->hv, id);
		hvd_log("domain %u: process %d %s; its channels and mappings released, the domain stays",
			id, (int)c->pid, how_name[how]);
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

/* Connections @uid holds now. */
static unsigned conns_of(const struct hvd *d, uid_t uid)
{
	unsigned n = 0;

	for (unsigned i = 0; i < HVD_MAX_CONNS; i++)
		n += d->conns[i] && d->conns[i]->uid == uid;
	return n;
}

/* Whether a new connection from @uid gets a slot (see HVD_CONNS_ADMIN). */
static bool may_connect(const struct hvd *d, uid_t uid, bool admin)
{
	if (admin)
		return true; /* any free slot, the reserved ones included */
	return d->nr_user_conns < HVD_MAX_CONNS - HVD_CONNS_ADMIN &&
	       conns_of(d, uid) < HVD_CONNS_PER_USER;
}

static void conn_close(struct hvd *d, unsigned slot)
{
	struct hvd_conn *c = d->conns[slot];

	/* Its process is gone (or let go): pins it held are dropped before
	 * its domain's fate is decided. */
	hvd_fastpath_end(d, c, true);
	if (c->domid >= 0)
		hvd_domain_detach(d, c, HVD_DETACH_CRASH);
	epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (!c->admin)
		d->nr_user_conns--;
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
	bool admin;
	int fd = accept4(d->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
		close(fd);
		return;
	}
	admin = cred.uid == 0 || cred.uid == geteuid();
	for (slot = 0; slot < HVD_MAX_CONNS && d->conns[slot]; slot++)
		;
	if (slot == HVD_MAX_CONNS || !may_connect(d, cred.uid, admin)) {
		/* Said at most once a second: a flood of them would
		 * otherwise fill the log. */
		time_t now = time(NULL);

		if (now != d->refusal_logged) {
			d->refusal_logged = now;
			hvd_log("refusing a connection from pid %d uid %u: %s",
				(int)cred.pid, (unsigned)cred.uid,
				slot == HVD_MAX_CONNS ? "no free slot"
						      : "that user holds its share");
		}
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	*c = (struct hvd_conn){ .fd = fd, .pid = cred.pid, .uid = cred.uid,
				.admin = admin, .domid = -1 };
	ev.data.u32 = slot;
	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(c);
		close(fd);
		return;
	}
	if (!admin)
		d->nr_user_conns++;
	d->conns[slot] = c;
}

/* Take up to HVD_WORK_BUDGET units of work from the connection in @slot. */
static void conn_serve(struct hvd *d, unsigned slot, uint32_t events)
{
	struct hvd_conn *c = d->conns[slot];

	for (unsigned work = 0; work < HVD_WORK_BUDGET && !c->closing;) {
		long n = hvp_recv(c->fd, d->in, sizeof(d->in), NULL, NULL,
				  MSG_DONTWAIT);

		if (n == -EAGAIN)
			break;
		if (n == -EMSGSIZE || n == -EBADMSG) {
			/* Framed, but too long or lying about its length:
			 * that request fails, the domain stays. */
			hvd_log("pid %d%s: %s message on the control socket; refused",
				(int)c->pid, c->domid >= 0 ? " (a domain)" : "",
				n == -EMSGSIZE ? "an oversized" : "a mislabelled");
			hvd_refuse(d, c, (int)n);
			work++;
			continue;
		}
		if (n < 0) {
			if (n == -EPROTO)
				hvd_log("pid %d%s: malformed message on the control socket; closing the connection",
					(int)c->pid,
					c->domid >= 0 ? " (a domain)" : "");
			c->closing = true;
			break;
		}
		work += hvd_dispatch(d, c, (size_t)n);
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

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: hv-stub [OPTION]...\n"
		"Run the reference hypervisor: domains are processes (and their memory\n"
		"memfds); grant tables, event channels and XenStore are served to them\n"
		"through a control socket.  Domain 0 exists from the start.\n"
		"\n"
		"  --socket PATH          control socket (default: $HVSTUB_SOCKET or\n"
		"                         %s)\n"
		"  --dom0-mem SIZE        memory of domain 0, from 24K to 1G in whole\n"
		"                         4 KiB pages (default 64M)\n"
		"  --on-crash ACTION      destroy or preserve: what happens to a domain\n"
		"                         whose process dies without shutting down, for\n"
		"                         domains created without a choice (default destroy)\n"
		"  --xenstored PROGRAM    run XenStore (sdrv-xenstored) in its own\n"
		"                         privileged domain\n"
		"  --xenstore SOCKET      XenStore's socket (default %s);\n"
		"                         alone: introduce domains to a daemon started\n"
		"                         by hand\n"
		"  --xenstore-domid N     XenStore's domain, 0 to %u (default %u; 0 runs\n"
		"                         it in domain 0)\n"
		"  -h, --help             show this help and exit\n"
		"      --version          show the version and exit\n"
		"\n"
		"Domain ids are 0 to %u; a domain has 24 KiB to 1 GiB of memory.\n"
		"Anyone may connect; a user other than root or hv-stub's own holds at\n"
		"most %u connections, and %u are kept for the toolstack.\n"
		"Stop with SIGTERM or SIGINT: every domain is destroyed.\n",
		SDRV_HVSTUB_SOCKET_DEFAULT, SDRV_XS_SOCKET_DEFAULT,
		HVP_MAX_DOMID, HVD_XS_DEFAULT_STUBDOM, HVP_MAX_DOMID,
		HVP_CONNS_PER_USER, HVP_CONNS_ADMIN);
}

/* The command line into @d; exits with a usage error on a wrong word. */
static uint64_t parse_options(struct hvd *d, int argc, char **argv,
			      const char **path)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "dom0-mem", required_argument, NULL, 'm' },
		{ "on-crash", required_argument, NULL, 'c' },
		{ "xenstored", required_argument, NULL, 'X' },
		{ "xenstore", required_argument, NULL, 'x' },
		{ "xenstore-domid", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	uint64_t dom0_bytes = (uint64_t)DOM0_DEFAULT_FRAMES * SDRV_PAGE_SIZE;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			*path = optarg;
			break;
		case 'm':
			dom0_bytes = cli_size("--dom0-mem", optarg,
					      HVP_MIN_DOMAIN_BYTES,
					      HVP_MAX_DOMAIN_BYTES,
					      SDRV_PAGE_SIZE);
			break;
		case 'c':
			d->default_on_crash = hvp_on_crash_parse(optarg);
			if (!d->default_on_crash)
				cli_usage_error("--on-crash '%s': expected destroy or preserve",
						optarg);
			break;
		case 'X':
			hvd_xs_option(&d->xs, "--xenstored", optarg);
			break;
		case 'x':
			hvd_xs_option(&d->xs, "--xenstore", optarg);
			break;
		case 'D':
			hvd_xs_option(&d->xs, "--xenstore-domid", optarg);
			break;
		default:
			cli_getopt_other(opt, argv, usage);
		}
	}
	cli_no_operands(argc, argv, optind);
	return dom0_bytes;
}

static int setup(struct hvd *d, int argc, char **argv)
{
	const char *path = getenv("HVSTUB_SOCKET");
	uint64_t dom0_bytes;
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t sigs;
	int err;

	dom0_bytes = parse_options(d, argc, argv, &path);
	d->socket_path = path && *path ? path : SDRV_HVSTUB_SOCKET_DEFAULT;
	if (!d->default_on_crash)
		d->default_on_crash = HVP_ON_CRASH_DESTROY;
	if (hv_init(&d->hv))
		return -1;
	d->next_pin_token = HV_PIN_TOKEN_CORE + 1;
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
	sigaddset(&sigs, SIGCHLD); /* the XenStore daemon we run exited */
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
	struct signalfd_siginfo si;

	cli_init(argv[0]);
	cli_raise_fd_limit();
	if (setup(&d, argc, argv))
		return 1;
	while (running && !d.failed) {
		int n = epoll_wait(d.epoll_fd, evs, 64, hvd_xs_tick(&d));

		if (n < 0 && errno != EINTR) {
			hvd_log("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			uint32_t slot = evs[i].data.u32;

			if (slot == HVD_SLOT_LISTEN)
				conn_accept(&d);
			else if (slot == HVD_SLOT_SIGNAL) {
				if (read(d.signal_fd, &si, sizeof(si)) !=
					    sizeof(si) ||
				    si.ssi_signo != SIGCHLD)
					running = false;
				else
					hvd_xs_child_exited(&d);
			} else if (slot == HVD_SLOT_XS || slot == HVD_SLOT_XS_READY)
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
	return d.failed ? 1 : 0;
}
