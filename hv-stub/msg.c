/* SPDX-License-Identifier: MIT */
/* hv-stub/msg.c - one message on the control socket, with its fds. */
#define _GNU_SOURCE
#include "msg.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int hvp_send(int sock, struct hvp_hdr *hdr, const void *payload, size_t len,
	     const int *fds, unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * HVP_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = sizeof(*hdr) },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	ssize_t n;

	if (nfds > HVP_MAX_FDS || len > HVP_MAX_MSG - sizeof(*hdr))
		return -EMSGSIZE;
	hdr->magic = HVP_MAGIC;
	hdr->len = (uint32_t)len;
	if (nfds) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == sizeof(*hdr) + len ? 0 : -EPROTO;
}

void hvp_close_fds(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

uint32_t hvp_on_crash_parse(const char *word)
{
	if (!strcmp(word, "destroy"))
		return HVP_ON_CRASH_DESTROY;
	if (!strcmp(word, "preserve"))
		return HVP_ON_CRASH_PRESERVE;
	return 0;
}

long hvp_recv(int sock, void *buf, size_t cap, int *fds, unsigned *nfds,
	      int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * HVP_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	unsigned room = nfds ? *nfds : 0, got = 0;
	struct hvp_hdr hdr;
	ssize_t n;
	long err = -EPROTO;

	if (nfds)
		*nfds = 0;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* Take every fd first, so none leaks whatever the verdict. */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		unsigned k = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		int in[HVP_MAX_FDS];

		if (k > HVP_MAX_FDS)
			k = HVP_MAX_FDS;
		memcpy(in, CMSG_DATA(c), sizeof(int) * k);
		for (unsigned i = 0; i < k; i++) {
			if (got < room)
				fds[got++] = in[i];
			else
				close(in[i]);
		}
	}
	if (nfds)
		*nfds = got;
	if (n == 0)
		return -ECONNRESET;
	if ((size_t)n < sizeof(hdr))
		goto bad;
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.magic != HVP_MAGIC)
		goto bad;
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		err = -EMSGSIZE;
		goto bad;
	}
	if (hdr.len != (size_t)n - sizeof(hdr)) {
		err = -EBADMSG;
		goto bad;
	}
	return (long)hdr.len;
bad:
	hvp_close_fds(fds, got);
	if (nfds)
		*nfds = 0;
	return err;
}

int hvp_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		/* No socket file is no daemon, as a stale file is: callers
		 * keep -ENOENT for "no such domain". */
		int err = errno == ENOENT ? -ECONNREFUSED : -errno;

		close(s);
		return err;
	}
	return s;
}

long hvp_request_once(const char *path, uint16_t type, const void *payload,
		      size_t len, void *buf, size_t cap)
{
	struct hvp_hdr hdr = { .type = type, .seq = 1 };
	int s = hvp_connect(path);
	long n;

	if (s < 0)
		return s;
	n = hvp_send(s, &hdr, payload, len, NULL, 0);
	if (n == 0)
		n = hvp_recv(s, buf, cap, NULL, NULL, 0);
	close(s);
	return n;
}
