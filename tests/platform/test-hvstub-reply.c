/* SPDX-License-Identifier: MIT */
/*
 * The hv-stub platform against a daemon that answers out of turn: a reply
 * of the wrong sequence number carrying file descriptors.  The attach
 * fails with -EPROTO and each descriptor it received is closed exactly
 * once (it used to be closed twice: a second close() of a number the
 * process may meanwhile have reused for something else).
 *
 * close() is wrapped for this program: calls are counted per descriptor
 * while the attach runs.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <splitdrv/platform.h>

#include "msg.h"

#define TRACKED 1024
static int closes[TRACKED];
static int counting;

/* Every close() of this program, platform code included. */
int close(int fd)
{
	if (counting && fd >= 0 && fd < TRACKED)
		__atomic_fetch_add(&closes[fd], 1, __ATOMIC_RELAXED);
	return (int)syscall(SYS_close, fd);
}

struct liar {
	int listen_fd;
	int passed[2]; /* the numbers the client got, as the server sent */
};

/* Answer one ATTACH with the wrong sequence number and two eventfds. */
static void *serve(void *arg)
{
	struct liar *l = arg;
	unsigned char buf[HVP_MAX_MSG];
	int s = accept(l->listen_fd, NULL, NULL), fds[2];
	struct hvp_hdr hdr;
	long n;

	if (s < 0)
		return NULL;
	n = hvp_recv(s, buf, sizeof(buf), NULL, NULL, 0);
	if (n >= 0) {
		memcpy(&hdr, buf, sizeof(hdr));
		hdr.seq += 7; /* a reply to something else */
		hdr.status = 0;
		fds[0] = eventfd(0, 0);
		fds[1] = eventfd(0, 0);
		hvp_send(s, &hdr, NULL, 0, fds, 2);
		syscall(SYS_close, fds[0]);
		syscall(SYS_close, fds[1]);
	}
	/* wait for the client to hang up */
	while (recv(s, buf, sizeof(buf), 0) > 0)
		;
	syscall(SYS_close, s);
	return NULL;
}

Test(hvstub_platform, a_mismatched_reply_closes_its_fds_once)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sdrv_platform *p = NULL;
	struct liar l;
	pthread_t t;
	char dir[] = "/tmp/hvstub-reply-XXXXXX";
	int err, twice = 0, once = 0;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock", dir);
	l.listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	cr_assert_eq(bind(l.listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(l.listen_fd, 1), 0);
	cr_assert_eq(pthread_create(&t, NULL, serve, &l), 0);

	memset(closes, 0, sizeof(closes));
	__atomic_store_n(&counting, 1, __ATOMIC_SEQ_CST);
	err = sdrv_hvstub_attach(sa.sun_path, 1, &p);
	__atomic_store_n(&counting, 0, __ATOMIC_SEQ_CST);
	pthread_join(t, NULL);

	cr_assert_eq(err, -EPROTO);
	cr_assert_null(p);
	for (int fd = 0; fd < TRACKED; fd++) {
		if (closes[fd] > 1)
			twice++;
		if (closes[fd] == 1)
			once++;
	}
	/* the client's socket and the two passed fds, each once */
	cr_assert_eq(twice, 0, "%d descriptors closed more than once", twice);
	cr_assert_geq(once, 3);
	syscall(SYS_close, l.listen_fd);
	unlink(sa.sun_path);
	rmdir(dir);
}
