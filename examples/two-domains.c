/* SPDX-License-Identifier: MIT */
/*
 * two-domains: two processes become two domains of a running hv-stub and
 * share a page the way a split driver's frontend and backend do.  The
 * guest (domain GUEST) writes a message into a page of its own, grants it
 * to dom0 and opens an event channel for dom0; dom0 maps the grant, reads
 * the message, binds the channel and notifies; the guest sees the event.
 * (A real driver passes the grant ref and port through XenStore; a pipe
 * stands in for it here to keep the example short.)
 *
 *   hv-stub --socket /tmp/hv.sock &
 *   hvctl -s /tmp/hv.sock create guest --id 1 --mem 8M
 *   two-domains /tmp/hv.sock 1
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <splitdrv/platform.h>

static const char message[] = "hello from the guest's granted page";

struct handoff {
	int64_t ref;
	sdrv_evtchn_port_t port;
};

static int guest(const char *sock, sdrv_domid_t domid, int to_dom0)
{
	struct sdrv_platform *p;
	struct handoff h;
	sdrv_evtchn_port_t ports[4];
	void *page;
	int err = sdrv_hvstub_attach(sock, domid, &p);

	if (err) {
		fprintf(stderr, "guest: domain %u: %s\n", domid, strerror(-err));
		return 1;
	}
	page = sdrv_page_alloc(p);
	memcpy(page, message, sizeof(message));
	h.ref = sdrv_grant_access(p, 0, page, true);
	err = sdrv_evtchn_alloc_unbound(p, 0, &h.port);
	if (h.ref < 0 || err) {
		fprintf(stderr, "guest: cannot grant or open a port\n");
		return 1;
	}
	if (write(to_dom0, &h, sizeof(h)) != sizeof(h))
		return 1;
	err = sdrv_evtchn_wait(p, ports, 4, 5000);
	if (err < 1 || ports[0] != h.port) {
		fprintf(stderr, "guest: no event from dom0 (%d)\n", err);
		return 1;
	}
	printf("domain %u: event on port %u from dom0\n", domid, h.port);
	fflush(stdout);
	sdrv_platform_detach(p);
	return 0;
}

static int dom0(const char *sock, sdrv_domid_t guest_id, int from_guest)
{
	struct sdrv_platform *p;
	struct handoff h;
	struct sdrv_grant_map op;
	sdrv_evtchn_port_t local;
	int err = sdrv_hvstub_attach(sock, 0, &p);

	if (err) {
		fprintf(stderr, "dom0: %s\n", strerror(-err));
		return 1;
	}
	if (read(from_guest, &h, sizeof(h)) != sizeof(h)) {
		fprintf(stderr, "dom0: the guest gave up\n");
		return 1;
	}
	op = (struct sdrv_grant_map){ .granter = guest_id,
				      .ref = (sdrv_grant_ref_t)h.ref,
				      .readonly = true };
	if (sdrv_grant_map(p, &op, 1) != 0) {
		fprintf(stderr, "dom0: map of grant %lld failed: status %d\n",
			(long long)h.ref, op.status);
		return 1;
	}
	printf("dom0: grant %lld of domain %u reads \"%s\"\n",
	       (long long)h.ref, guest_id, (const char *)op.addr);
	sdrv_grant_unmap(p, &op, 1);
	err = sdrv_evtchn_bind_interdomain(p, guest_id, h.port, &local);
	if (!err)
		err = sdrv_evtchn_notify(p, local);
	if (err) {
		fprintf(stderr, "dom0: event channel: %s\n", strerror(-err));
		return 1;
	}
	sdrv_platform_detach(p);
	return 0;
}

int main(int argc, char **argv)
{
	int fds[2], status, rc;
	sdrv_domid_t guest_id;
	pid_t child;

	if (argc != 3) {
		fprintf(stderr, "usage: two-domains HVSTUB_SOCKET GUEST_ID\n");
		return 2;
	}
	guest_id = (sdrv_domid_t)strtoul(argv[2], NULL, 10);
	if (pipe(fds) != 0)
		return 1;
	child = fork();
	if (child == 0) {
		close(fds[0]);
		_exit(guest(argv[1], guest_id, fds[1]));
	}
	close(fds[1]);
	rc = dom0(argv[1], guest_id, fds[0]);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		rc = 1;
	return rc;
}
