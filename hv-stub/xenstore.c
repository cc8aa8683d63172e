/* SPDX-License-Identifier: MIT */
/*
 * hv-stub/xenstore.c - see xenstore.h.  The daemon's replies are untrusted
 * like any peer's: a length over the protocol's limit or a reply to a
 * request we did not send at the head of the queue drops the connection
 * (and the queue is sent again on the next one); an error name is printed
 * only as far as it is printable.
 */
#define _GNU_SOURCE
#include "builder.h"
#include "xenstore.h"
#include "cli.h"
#include "daemon.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <splitdrv/platform.h>

#define XS_DOMAIN_FRAMES 256u /* the daemon's own memory: 1 MiB */
#define XS_RETRY_MS 250
#define XS_STOP_WAIT_MS 5000

/* The header at @p: queued messages follow each other unaligned. */
static struct sdrv_xs_msg msg_at(const unsigned char *p)
{
	struct sdrv_xs_msg h;

	memcpy(&h, p, sizeof(h));
	return h;
}

static size_t msg_size(const unsigned char *p)
{
	return sizeof(struct sdrv_xs_msg) + msg_at(p).len;
}

/* Requests carry what they are about in req_id: replies name it back. */
static uint32_t req_id_of(uint32_t type, sdrv_domid_t id)
{
	return type << 16 | id;
}

static const char *type_name(uint32_t type)
{
	switch (type) {
	case SDRV_XS_MKDIR: return "MKDIR";
	case SDRV_XS_SET_PERMS: return "SET_PERMS";
	case SDRV_XS_WRITE: return "WRITE";
	case SDRV_XS_INTRODUCE: return "INTRODUCE";
	case SDRV_XS_RELEASE: return "RELEASE";
	default: return "RM";
	}
}

void hvd_xs_option(struct hvd_xs *xs, const char *arg, const char *val)
{
	if (!strcmp(arg, "--xenstore"))
		xs->socket_path = val;
	else if (!strcmp(arg, "--xenstored"))
		xs->program = val;
	else {
		xs->domid = (sdrv_domid_t)cli_number("--xenstore-domid", val,
						     0, HV_MAX_DOMAINS - 1);
		xs->domid_given = true;
	}
	xs->enabled = true;
}

static void epoll_set(struct hvd *d, int fd, uint32_t slot, uint32_t events,
		      int op)
{
	struct epoll_event ev = { .events = events, .data.u32 = slot };

	epoll_ctl(d->epoll_fd, op, fd, &ev);
}

/* Reap the daemon we run if it has exited (@wait: block, up to a bound). */
static void reap_child(struct hvd_xs *xs, bool wait)
{
	int status;
	pid_t r = 0;

	if (xs->child <= 0)
		return;
	for (int ms = 0; ms < XS_STOP_WAIT_MS; ms += 10) {
		r = waitpid(xs->child, &status, WNOHANG);
		if (r != 0 || !wait)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	if (r == 0 && wait) {
		hvd_log("XenStore daemon (pid %d) did not stop within %d s; killing it",
			(int)xs->child, XS_STOP_WAIT_MS / 1000);
		kill(xs->child, SIGKILL);
		r = waitpid(xs->child, &status, 0);
	}
	if (r <= 0)
		return;
	if (WIFEXITED(status))
		hvd_log("XenStore daemon (pid %d) exited with status %d",
			(int)xs->child, WEXITSTATUS(status));
	else
		hvd_log("XenStore daemon (pid %d) killed by signal %d",
			(int)xs->child, WTERMSIG(status));
	xs->child = 0;
	xs->child_gone = true;
	if (!wait) /* not stopped by us: it died under its guests */
		hvd_log("XenStore is down: hvctl create fails until hv-stub is restarted");
}

bool hvd_xs_down(const struct hvd *d)
{
	return d->xs.enabled && d->xs.child_gone;
}

unsigned hvd_xs_dependents(const struct hvd *d)
{
	unsigned n = 0;

	for (sdrv_domid_t id = 1; id < HV_MAX_DOMAINS; id++)
		if (d->doms[id].exists && !hvd_xs_is_service_domain(d, id))
			n++;
	return n;
}

void hvd_xs_child_exited(struct hvd *d)
{
	struct hvd_xs *xs = &d->xs;

	/* Before it was ready, ready() sees its pipe close and stops us. */
	if (xs->child <= 0 || xs->ready_fd >= 0)
		return;
	reap_child(xs, false);
}

static void disconnect(struct hvd *d, const char *why)
{
	struct hvd_xs *xs = &d->xs;
	size_t waiting = 0;

	for (size_t at = 0; at < xs->out_len; at += msg_size(xs->out + at))
		waiting++;
	hvd_log("XenStore %s: %s; %zu message(s) will be sent again on reconnection",
		xs->socket_path, why, waiting);
	epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, xs->fd, NULL);
	close(xs->fd);
	xs->fd = -1;
	xs->out_sent = 0;
	xs->in_len = 0;
	xs->waiting_logged = false;
	reap_child(xs, false);
}

static bool try_connect(struct hvd *d)
{
	struct hvd_xs *xs = &d->xs;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(xs->socket_path) >= sizeof(sa.sun_path))
		return false; /* said at start */
	strcpy(sa.sun_path, xs->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (!xs->waiting_logged)
			hvd_log("XenStore %s: not reachable (%s); introductions wait for it",
				xs->socket_path, strerror(errno));
		xs->waiting_logged = true;
		if (fd >= 0)
			close(fd);
		return false;
	}
	xs->fd = fd;
	if (xs->waiting_logged)
		hvd_log("XenStore %s: connected", xs->socket_path);
	xs->waiting_logged = false;
	epoll_set(d, fd, HVD_SLOT_XS, EPOLLIN, EPOLL_CTL_ADD);
	return true;
}

/* Send what the socket takes; watch for room when it is full. */
static void flush(struct hvd *d)
{
	struct hvd_xs *xs = &d->xs;

	if (xs->out_sent == xs->out_len)
		return;
	if (xs->fd < 0 && (xs->ready_fd >= 0 || !try_connect(d)))
		return;
	while (xs->out_sent < xs->out_len) {
		ssize_t n = send(xs->fd, xs->out + xs->out_sent,
				 xs->out_len - xs->out_sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			disconnect(d, strerror(errno));
			return;
		}
		xs->out_sent += (size_t)n;
	}
	epoll_set(d, xs->fd, HVD_SLOT_XS,
		  EPOLLIN | (xs->out_sent < xs->out_len ? EPOLLOUT : 0),
		  EPOLL_CTL_MOD);
}

static void queue(struct hvd *d, uint32_t type, sdrv_domid_t id,
		  const char *payload, size_t len)
{
	struct hvd_xs *xs = &d->xs;
	struct sdrv_xs_msg hdr = { .type = type,
				   .req_id = req_id_of(type, id),
				   .len = (uint32_t)len };
	size_t need = xs->out_len + sizeof(hdr) + len;

	if (need > xs->out_cap) {
		size_t cap = xs->out_cap ? xs->out_cap * 2 : 1024;
		unsigned char *p;

		while (cap < need)
			cap *= 2;
		p = realloc(xs->out, cap);
		if (!p) {
			hvd_log("domain %u: no memory to queue XenStore %s",
				id, type_name(type));
			return;
		}
		xs->out = p;
		xs->out_cap = cap;
	}
	memcpy(xs->out + xs->out_len, &hdr, sizeof(hdr));
	memcpy(xs->out + xs->out_len + sizeof(hdr), payload, len);
	xs->out_len = need;
	flush(d);
}

/* Payload builder: strings appended with their NUL, or without it for a
 * WRITE's value. */
struct payload {
	char buf[128];
	size_t len;
};

static void add(struct payload *p, bool nul, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add(struct payload *p, bool nul, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(p->buf + p->len, sizeof(p->buf) - p->len, fmt, ap);
	va_end(ap);
	/* Our own short strings: never near the bound. */
	p->len += (size_t)n + (nul ? 1 : 0);
}

static void send_payload(struct hvd *d, uint32_t type, sdrv_domid_t id,
			 const struct payload *p)
{
	queue(d, type, id, p->buf, p->len);
}

/* What libxl does: the domain's home, owned by it, with its name and id,
 * then the introduction that lets it in. */
void hvd_xs_domain_created(struct hvd *d, sdrv_domid_t id)
{
	struct hvd_xs *xs = &d->xs;
	struct hv_domain info;
	struct payload p;
	int port;

	if (!xs->enabled || id == 0 || id == xs->domid ||
	    hv_domain_info(&d->hv, id, &info))
		return;
	port = hvb_xenstore_setup(&d->hv, id, xs->domid);
	if (port < 0) {
		hvd_log("domain %u: XenStore ring not set up: %s", id,
			strerror(-port));
		return;
	}
	p = (struct payload){ 0 };
	add(&p, true, "/local/domain/%u", id);
	send_payload(d, SDRV_XS_MKDIR, id, &p);
	add(&p, true, "n%u", id);
	send_payload(d, SDRV_XS_SET_PERMS, id, &p);
	p = (struct payload){ 0 };
	add(&p, true, "/local/domain/%u/name", id);
	add(&p, false, "%s", info.name);
	send_payload(d, SDRV_XS_WRITE, id, &p);
	p = (struct payload){ 0 };
	add(&p, true, "/local/domain/%u/domid", id);
	add(&p, false, "%u", id);
	send_payload(d, SDRV_XS_WRITE, id, &p);
	p = (struct payload){ 0 };
	add(&p, true, "%u", id);
	add(&p, true, "%u", SDRV_PLATFORM_XENSTORE_FRAME);
	add(&p, true, "%d", port);
	send_payload(d, SDRV_XS_INTRODUCE, id, &p);
	xs->introduced[id] = true;
}

/*
 * What libxl does when a domain is gone: release it, remove its home, and
 * remove its devices' backend directories, so that each backend lets go of
 * what it served the domain with (blkback its file, netback its vif) and
 * a device attached anew is probed afresh.  Backends run in privileged
 * domains; the device types are the ones splitdrv serves.
 */
static const char *const device_types[] = { "vbd", "vif" };

void hvd_xs_domain_destroyed(struct hvd *d, sdrv_domid_t id)
{
	struct hvd_xs *xs = &d->xs;
	struct payload p = { 0 };

	if (!xs->enabled || id >= HV_MAX_DOMAINS || !xs->introduced[id])
		return;
	xs->introduced[id] = false;
	add(&p, true, "%u", id);
	send_payload(d, SDRV_XS_RELEASE, id, &p);
	p = (struct payload){ 0 };
	add(&p, true, "/local/domain/%u", id);
	send_payload(d, SDRV_XS_RM, id, &p);
	for (unsigned b = 0; b < HV_MAX_DOMAINS; b++) {
		struct hv_domain info;

		if (b == id || hv_domain_info(&d->hv, (sdrv_domid_t)b, &info) ||
		    !info.privileged)
			continue;
		for (size_t t = 0; t < sizeof(device_types) / sizeof(device_types[0]);
		     t++) {
			p = (struct payload){ 0 };
			add(&p, true, "/local/domain/%u/backend/%s/%u", b,
			    device_types[t], id);
			send_payload(d, SDRV_XS_RM, id, &p);
		}
	}
}

/* A whole reply is in xs->in: match it with the oldest request. */
static void handle_reply(struct hvd *d)
{
	struct hvd_xs *xs = &d->xs;
	const struct sdrv_xs_msg rep = msg_at(xs->in);
	struct sdrv_xs_msg req;
	char name[33];
	size_t head, n = 0;

	if (rep.type == SDRV_XS_WATCH_EVENT)
		return; /* we watch nothing; a stray event is harmless */
	if (xs->out_len == 0 || xs->out_sent < msg_size(xs->out) ||
	    rep.req_id != msg_at(xs->out).req_id) {
		disconnect(d, "reply to no request of ours");
		return;
	}
	req = msg_at(xs->out);
	if (rep.type == SDRV_XS_ERROR) {
		for (; n < rep.len && n < sizeof(name) - 1; n++) {
			char c = (char)xs->in[sizeof(rep) + n];

			if (c == '\0')
				break;
			name[n] = isprint((unsigned char)c) ? c : '?';
		}
		name[n] = '\0';
		/* Removing what is not there (a backend type a domain
		 * never had) is done, not refused. */
		if (req.type != SDRV_XS_RM || strcmp(name, "ENOENT"))
			hvd_log("domain %u: XenStore refused %s: %s",
				req.req_id & 0xffffu, type_name(req.type), name);
	} else if (rep.type != req.type) {
		disconnect(d, "reply of another type");
		return;
	}
	head = msg_size(xs->out);
	memmove(xs->out, xs->out + head, xs->out_len - head);
	xs->out_len -= head;
	xs->out_sent -= head;
}

static void read_replies(struct hvd *d)
{
	struct hvd_xs *xs = &d->xs;

	while (xs->fd >= 0) {
		size_t want = sizeof(struct sdrv_xs_msg);
		ssize_t n;

		if (xs->in_len >= want)
			want += msg_at(xs->in).len;
		n = recv(xs->fd, xs->in + xs->in_len, want - xs->in_len,
			 MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			disconnect(d, n == 0 ? "the daemon hung up"
					     : strerror(errno));
			return;
		}
		xs->in_len += (size_t)n;
		if (xs->in_len == sizeof(struct sdrv_xs_msg) &&
		    msg_at(xs->in).len > SDRV_XS_PAYLOAD_MAX) {
			disconnect(d, "reply longer than the protocol allows");
			return;
		}
		if (xs->in_len >= sizeof(struct sdrv_xs_msg) &&
		    xs->in_len == msg_size(xs->in)) {
			xs->in_len = 0;
			handle_reply(d);
		}
	}
}

static void ready(struct hvd *d)
{
	struct hvd_xs *xs = &d->xs;
	char buf[16];
	ssize_t n = read(xs->ready_fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, xs->ready_fd, NULL);
	close(xs->ready_fd);
	xs->ready_fd = -1;
	if (n <= 0) {
		hvd_log("XenStore daemon %s exited before it was ready (its messages are above); stopping",
			xs->program);
		reap_child(xs, true);
		d->failed = true;
		return;
	}
	hvd_log("XenStore daemon (pid %d) ready on %s", (int)xs->child,
		xs->socket_path);
	if (xs->fd < 0)
		try_connect(d);
	flush(d);
}

void hvd_xs_event(struct hvd *d, uint32_t slot, uint32_t events)
{
	struct hvd_xs *xs = &d->xs;

	if (slot == HVD_SLOT_XS_READY) {
		ready(d);
		return;
	}
	if (xs->fd < 0)
		return;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		read_replies(d);
	if (xs->fd >= 0 && (events & EPOLLOUT))
		flush(d);
}

int hvd_xs_tick(struct hvd *d)
{
	struct hvd_xs *xs = &d->xs;

	if (!xs->enabled || xs->fd >= 0 || xs->ready_fd >= 0 ||
	    xs->out_len == 0)
		return -1;
	flush(d);
	return xs->fd < 0 ? XS_RETRY_MS : -1;
}

/* Run the daemon attached as XenStore's domain; its readiness comes on a
 * pipe the loop watches. */
static int spawn(struct hvd *d)
{
	struct hvd_xs *xs = &d->xs;
	char domid[8], fdnum[12];
	int pipefd[2];
	sigset_t all;

	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0) {
		hvd_log("XenStore daemon: pipe: %s", strerror(errno));
		return -1;
	}
	snprintf(domid, sizeof(domid), "%u", xs->domid);
	snprintf(fdnum, sizeof(fdnum), "%d", pipefd[1]);
	xs->child = fork();
	if (xs->child < 0) {
		hvd_log("XenStore daemon: fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (xs->child == 0) {
		const char *argv[] = { xs->program, "--hv-stub", d->socket_path,
				       "--domid", domid, "--socket",
				       xs->socket_path, "--ready-fd", fdnum,
				       NULL };

		/* If hv-stub dies, its XenStore stops (saving its state). */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		/* Our signal mask (signalfd's) would keep SIGTERM from it. */
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGPIPE, SIG_DFL);
		fcntl(pipefd[1], F_SETFD, 0);
		fcntl(pipefd[1], F_SETFL, 0);
		execv(xs->program, (char *const *)argv);
		fprintf(stderr, "hv-stub: XenStore daemon %s: %s\n",
			xs->program, strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	xs->ready_fd = pipefd[0];
	epoll_set(d, xs->ready_fd, HVD_SLOT_XS_READY, EPOLLIN, EPOLL_CTL_ADD);
	hvd_log("XenStore daemon %s started (pid %d) in domain %u",
		xs->program, (int)xs->child, xs->domid);
	return 0;
}

int hvd_xs_start(struct hvd *d)
{
	struct hvd_xs *xs = &d->xs;
	struct sockaddr_un sa;
	int err;

	xs->fd = xs->ready_fd = -1;
	if (!xs->enabled)
		return 0;
	if (!xs->domid_given)
		xs->domid = HVD_XS_DEFAULT_STUBDOM;
	if (!xs->socket_path || !*xs->socket_path)
		xs->socket_path = SDRV_XS_SOCKET_DEFAULT;
	if (strlen(xs->socket_path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "hv-stub: --xenstore %s: socket path too long\n",
			xs->socket_path);
		return -1;
	}
	if (!d->doms[xs->domid].exists) {
		err = hv_domain_create(&d->hv, xs->domid, "Xenstore",
				       XS_DOMAIN_FRAMES, true);
		if (err) {
			fprintf(stderr, "hv-stub: XenStore domain %u: %s\n",
				xs->domid, strerror(-err));
			return -1;
		}
		d->doms[xs->domid] = (struct hvd_domain){
			.exists = true, .owner_uid = geteuid(),
			.on_crash = HVP_ON_CRASH_DESTROY };
	}
	hvd_log("XenStore: domain %u serves it on %s", xs->domid,
		xs->socket_path);
	return xs->program ? spawn(d) : 0;
}

void hvd_xs_stop(struct hvd *d)
{
	struct hvd_xs *xs = &d->xs;

	if (xs->child > 0)
		kill(xs->child, SIGTERM);
	if (xs->fd >= 0)
		close(xs->fd);
	if (xs->ready_fd >= 0)
		close(xs->ready_fd);
	xs->fd = xs->ready_fd = -1;
	free(xs->out);
	xs->out = NULL;
	xs->out_len = xs->out_cap = xs->out_sent = 0;
}

bool hvd_xs_is_service_domain(const struct hvd *d, sdrv_domid_t id)
{
	return d->xs.enabled && id == d->xs.domid;
}

void hvd_xs_reap(struct hvd *d)
{
	reap_child(&d->xs, true);
}
