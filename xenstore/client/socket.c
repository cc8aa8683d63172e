/* SPDX-License-Identifier: MIT */
/*
 * The XenStore client's socket transport (hosted): a Unix stream socket to
 * the daemon, as dom0 tools use.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client_internal.h"

struct xs_socket {
	struct sdrv_xs xs;
	char rx[SDRV_XS_PAYLOAD_MAX];
	char evq[XS_EVQ_SIZE];
	char cbq[XS_EVQ_SIZE];
};

static int sock_send(struct sdrv_xs *xs, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(xs->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EAGAIN) {
			/* the daemon is not reading: wait, within the bound */
			struct pollfd pfd = { .fd = xs->fd, .events = POLLOUT };
			int r = poll(&pfd, 1, xs_time_left(xs));

			if (r == 0)
				return -ETIMEDOUT;
			if (r < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EPIPE ? -ESHUTDOWN : -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int sock_recv(struct sdrv_xs *xs, void *buf, size_t len, int timeout_ms)
{
	for (;;) {
		struct pollfd pfd = { .fd = xs->fd, .events = POLLIN };
		ssize_t n;
		int r = poll(&pfd, 1, timeout_ms);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return 0;
		n = recv(xs->fd, buf, len, MSG_DONTWAIT);
		if (n > 0)
			return (int)n;
		if (n == 0)
			return -ESHUTDOWN;
		if (errno == EAGAIN)
			return 0; /* woken for nothing: the caller's deadline
				   * decides whether to wait again */
		if (errno != EINTR)
			return -errno;
	}
}

static uint64_t sock_now_ms(struct sdrv_xs *xs)
{
	struct timespec ts;

	(void)xs;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int sock_fd(struct sdrv_xs *xs)
{
	return xs->fd;
}

static void sock_close(struct sdrv_xs *xs)
{
	close(xs->fd);
	free(xs);
}

static void *sock_alloc(struct sdrv_xs *xs)
{
	return malloc(SDRV_PAGE_SIZE); /* a watch or the watch table */
}

static void sock_free(struct sdrv_xs *xs, void *mem)
{
	free(mem);
}

static const struct xs_transport socket_transport = {
	.send = sock_send,
	.recv = sock_recv,
	.fd = sock_fd,
	.now_ms = sock_now_ms,
	.close = sock_close,
	.alloc = sock_alloc,
	.free = sock_free,
};

SDRV_PUBLIC int sdrv_xs_open_socket(const char *path, struct sdrv_xs **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct xs_socket *s;
	int fd, err;

	if (!path)
		path = getenv("XENSTORED_PATH");
	if (!path || !*path)
		path = SDRV_XS_SOCKET_DEFAULT;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	xs_client_init(&s->xs, &socket_transport, s->rx, s->evq, s->cbq);
	s->xs.fd = fd;
	*out = &s->xs;
	return 0;
}
