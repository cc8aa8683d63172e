/* SPDX-License-Identifier: MIT */
/*
 * hv-stub's own hostile cases, beyond the shared platform bodies: what only
 * a daemon with a socket and process domains can meet.  Garbage on the
 * control socket, a process killed with -9 in the middle of sharing, the
 * wrong user attaching, a second process claiming an attached domain, an
 * unprivileged domain asking to map.  Each time: that call (or that one
 * connection or domain) fails, hv-stub and everyone else carry on.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "env.h"
#include "hvstub_ctl.h"
#include "msg.h"

static struct sdrv_platform *dom0;

static void setup(void)
{
	hvstub_start(NULL);
	cr_assert_eq(sdrv_hvstub_attach(hvstub_socket(), 0, &dom0), 0);
}

static void teardown(void)
{
	sdrv_platform_detach(dom0);
	hvstub_stop();
}

TestSuite(hvstub, .init = setup, .fini = teardown, .timeout = 60);

/* hv-stub answers a toolstack and domain 0 still works. */
static void assert_hvstub_fine(void)
{
	char list[4096];
	sdrv_evtchn_port_t p;

	cr_assert(hvstub_alive(), "hv-stub died");
	cr_assert_eq(hvstub_list(list, sizeof(list)), 0);
	cr_assert_not_null(strstr(list, "Domain-0"));
	cr_assert_eq(sdrv_evtchn_alloc_unbound(dom0, 0, &p), 0);
	cr_assert_eq(sdrv_evtchn_close(dom0, p), 0);
}

/* Whether hv-stub closed @s (a read returns end of file). */
static bool closed_by_peer(int s)
{
	char buf[64];
	struct timeval tv = { .tv_sec = 10 };

	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return recv(s, buf, sizeof(buf), 0) == 0;
}

/* An attach request of this protocol version. */
#define ATTACH(id) ((struct hvp_attach){ .domid = (id), .version = HVP_VERSION })

/* One well-formed message on a fresh connection; the reply status. */
static int raw_request(int s, uint16_t type, const void *payload, size_t len)
{
	static _Alignas(8) unsigned char buf[HVP_MAX_MSG];
	struct hvp_hdr hdr = { .type = type, .seq = 3 }, rep;

	cr_assert_eq(hvp_send(s, &hdr, payload, len, NULL, 0), 0);
	cr_assert_geq(hvp_recv(s, buf, sizeof(buf), NULL, NULL, 0), 0);
	memcpy(&rep, buf, sizeof(rep));
	return rep.status;
}

/* Send @hdr and @len payload bytes as one packet, as a liar would (no
 * checks of ours on the way); the reply's status. */
static int lying_request(int s, struct hvp_hdr *hdr, size_t len)
{
	static _Alignas(8) unsigned char buf[HVP_MAX_MSG + 128];
	struct hvp_hdr rep;

	memcpy(buf, hdr, sizeof(*hdr));
	memset(buf + sizeof(*hdr), 0xa5, len);
	cr_assert_eq(send(s, buf, sizeof(*hdr) + len, 0),
		     (ssize_t)(sizeof(*hdr) + len));
	cr_assert_geq(hvp_recv(s, buf, HVP_MAX_MSG, NULL, NULL, 0), 0);
	memcpy(&rep, buf, sizeof(rep));
	cr_assert_eq(rep.seq, hdr->seq, "the reply answers that request");
	return rep.status;
}

Test(hvstub, garbage_on_the_control_socket)
{
	static const unsigned char junk[] = "GET / HTTP/1.1\r\n\r\n";
	struct hvp_hdr hdr = { .magic = HVP_MAGIC, .type = HVP_LIST, .len = 1000 };
	int s;

	/* bytes that are no message at all */
	s = hvstub_connect();
	cr_assert_geq(s, 0);
	cr_assert_eq(send(s, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	cr_assert(closed_by_peer(s));
	close(s);
	/* a header whose length lies: framed, so that request is refused
	 * and the connection stays */
	s = hvstub_connect();
	cr_assert_eq(lying_request(s, &hdr, 0), -EBADMSG);
	cr_assert_eq(raw_request(s, HVP_LIST, NULL, 0), 0);
	close(s);
	/* a short header */
	s = hvstub_connect();
	cr_assert_eq(send(s, &hdr, 5, 0), 5);
	cr_assert(closed_by_peer(s));
	close(s);
	assert_hvstub_fine();
}

Test(hvstub, well_formed_nonsense_gets_an_error_each)
{
	uint32_t four = 4;
	int s = hvstub_connect();

	cr_assert_eq(raw_request(s, 999, NULL, 0), -ENOSYS);
	/* hypercalls before attaching */
	cr_assert_eq(raw_request(s, HVP_GRANT_COPY, &four, sizeof(four)), -ENOTCONN);
	/* sizes that do not fit the type */
	cr_assert_eq(raw_request(s, HVP_ATTACH, &four, 2), -EINVAL);
	/* a client of another protocol version */
	cr_assert_eq(raw_request(s, HVP_ATTACH,
				 &(struct hvp_attach){ .domid = 0, .version = 1 },
				 sizeof(struct hvp_attach)),
		     -EPROTONOSUPPORT);
	cr_assert_eq(raw_request(s, HVP_CREATE, &four, sizeof(four)), -EINVAL);
	cr_assert_eq(raw_request(s, HVP_ATTACH, &ATTACH(4000), sizeof(struct hvp_attach)), -ENOENT);
	/* the connection is still good */
	cr_assert_eq(raw_request(s, HVP_LIST, NULL, 0), 0);
	close(s);
	assert_hvstub_fine();
}

Test(hvstub, detach_and_shutdown_out_of_turn_are_refused)
{
	static const unsigned char junk[64] = { 0xff, 0x13, 0x37 };
	struct hvp_attach six = ATTACH(6);
	int s = hvstub_connect();

	/* letting go of a domain one does not hold */
	cr_assert_eq(raw_request(s, HVP_DETACH, NULL, 0), -ENOTCONN);
	cr_assert_eq(raw_request(s, HVP_SHUTDOWN, junk, sizeof(junk)), -ENOTCONN);
	cr_assert_eq(raw_request(s, HVP_DETACH, junk, sizeof(junk)), -ENOTCONN);
	/* held once, let go once: the second is out of turn, the domain
	 * lives on and may be taken again */
	cr_assert_eq(hvstub_create(6, 32, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	cr_assert_eq(raw_request(s, HVP_ATTACH, &six, sizeof(six)), 0);
	cr_assert_eq(raw_request(s, HVP_DETACH, junk, sizeof(junk)), 0);
	cr_assert_eq(raw_request(s, HVP_DETACH, NULL, 0), -ENOTCONN);
	cr_assert_eq(hvstub_control(HVP_SHOW, 6), 0);
	cr_assert_eq(raw_request(s, HVP_ATTACH, &six, sizeof(six)), 0);
	cr_assert_eq(raw_request(s, HVP_SHUTDOWN, NULL, 0), 0);
	cr_assert_eq(raw_request(s, HVP_SHUTDOWN, NULL, 0), -ENOTCONN);
	for (int i = 0; i < 1000 && hvstub_control(HVP_SHOW, 6) == 0; i++)
		usleep(10000);
	cr_assert_eq(hvstub_control(HVP_SHOW, 6), -ENOENT);
	close(s);
	assert_hvstub_fine();
}

Test(hvstub, an_attached_domain_sending_garbage_is_torn_down_alone)
{
	struct sdrv_platform *u;
	int s;

	cr_assert_eq(hvstub_create(1, 32, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	cr_assert_eq(hvstub_create(2, 32, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	cr_assert_eq(sdrv_hvstub_attach(hvstub_socket(), 2, &u), 0);
	s = hvstub_connect();
	cr_assert_eq(raw_request(s, HVP_ATTACH, &ATTACH(1), sizeof(struct hvp_attach)), 0);
	cr_assert_eq(send(s, "garbage", 7, 0), 7);
	cr_assert(closed_by_peer(s));
	close(s);
	/* domain 1 went with its connection; domain 2 did not */
	cr_assert_eq(hvstub_control(HVP_SHOW, 1), -ENOENT);
	cr_assert_eq(hvstub_control(HVP_SHOW, 2), 0);
	cr_assert(sdrv_page_alloc(u) != NULL);
	sdrv_evtchn_port_t p;
	cr_assert_eq(sdrv_evtchn_alloc_unbound(u, 0, &p), 0);
	sdrv_platform_detach(u);
	assert_hvstub_fine();
}

Test(hvstub, an_attached_domains_malformed_hypercalls_fail_alone)
{
	struct hvp_map_op ops[2] = { { .granter = 0, .ref = 8 },
				     { .granter = 999, .ref = 1u << 31 } };
	struct hvp_evtchn_op ev = { .cmd = 99 };
	struct hvp_create create = { .domid = 9, .nr_frames = 32 };
	static struct hvp_map_op too_many[HVP_MAX_MAP_OPS + 1];
	int s = hvstub_connect();

	cr_assert_eq(hvstub_create(1, 32, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	cr_assert_eq(raw_request(s, HVP_ATTACH, &ATTACH(1), sizeof(struct hvp_attach)), 0);
	/* batches whose size is no whole number of ops, empty, or too long */
	cr_assert_eq(raw_request(s, HVP_GRANT_MAP, ops, sizeof(ops[0]) - 1), -EINVAL);
	cr_assert_eq(raw_request(s, HVP_GRANT_MAP, NULL, 0), -EINVAL);
	cr_assert_eq(raw_request(s, HVP_GRANT_UNMAP, too_many, sizeof(too_many)),
		     -EINVAL);
	cr_assert_eq(raw_request(s, HVP_GRANT_COPY, ops, 3), -EINVAL);
	/* well-sized but meaningless: each op gets its own refusal */
	cr_assert_eq(raw_request(s, HVP_GRANT_MAP, ops, sizeof(ops)), 0);
	cr_assert_eq(raw_request(s, HVP_EVTCHN_OP, &ev, sizeof(ev)), -ENOSYS);
	cr_assert_eq(raw_request(s, HVP_EVTCHN_OP, &ev, sizeof(ev) - 4), -EINVAL);
	/* a name with no terminating NUL */
	memset(create.name, 'x', sizeof(create.name));
	cr_assert_eq(raw_request(s, HVP_CREATE, &create, sizeof(create)), -EINVAL);
	/* the domain is still attached and working */
	cr_assert_eq(raw_request(s, HVP_SHOW, &(uint32_t){ 1 }, 4), 0);
	close(s);
	assert_hvstub_fine();
}

Test(hvstub, oversized_or_lying_hypercalls_fail_and_the_domain_stays)
{
	struct hvp_hdr big = { .magic = HVP_MAGIC, .type = HVP_GRANT_COPY,
			       .seq = 7, .len = 65600 - sizeof(big) };
	struct hvp_hdr liar = { .magic = HVP_MAGIC, .type = HVP_GRANT_COPY,
				.seq = 8, .len = UINT32_MAX };
	int s = hvstub_connect();

	cr_assert_eq(hvstub_create(1, 32, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	cr_assert_eq(raw_request(s, HVP_ATTACH, &ATTACH(1), sizeof(struct hvp_attach)), 0);
	/* a 65,600-byte copy message, past what one message may carry */
	cr_assert_eq(lying_request(s, &big, 65600 - sizeof(big)), -EMSGSIZE);
	/* a header claiming 2^32-1 bytes over 128 */
	cr_assert_eq(lying_request(s, &liar, 128), -EBADMSG);
	/* a one-way send that lies is dropped without an answer */
	liar.type = HVP_EVTCHN_SEND;
	cr_assert_eq(send(s, &liar, sizeof(liar), 0), (ssize_t)sizeof(liar));
	/* the domain is still attached: a well-formed call works */
	cr_assert_eq(raw_request(s, HVP_SHOW, &(uint32_t){ 1 }, 4), 0);
	cr_assert_eq(raw_request(s, HVP_ATTACH, &ATTACH(1), sizeof(struct hvp_attach)), -EISCONN);
	close(s);
	assert_hvstub_fine();
}

/* The guest child: attach as @id, grant a page and offer a port to dom0,
 * report them on @fd, then wait to be killed. */
static void guest_child(sdrv_domid_t id, int fd)
{
	struct sdrv_platform *g;
	uint32_t msg[2];
	unsigned char *page;

	if (sdrv_hvstub_attach(hvstub_socket(), id, &g))
		_exit(2);
	page = sdrv_page_alloc(g);
	page[0] = 77;
	msg[0] = (uint32_t)sdrv_grant_access(g, 0, page, false);
	if (sdrv_evtchn_alloc_unbound(g, 0, &msg[1]) ||
	    write(fd, msg, sizeof(msg)) != sizeof(msg))
		_exit(3);
	for (;;)
		pause();
}

static pid_t start_guest(sdrv_domid_t id, uint32_t *ref, uint32_t *port)
{
	int fds[2];
	uint32_t msg[2];
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		guest_child(id, fds[1]);
	}
	close(fds[1]);
	cr_assert_eq(read(fds[0], msg, sizeof(msg)), (ssize_t)sizeof(msg),
		     "guest %u did not start", id);
	close(fds[0]);
	*ref = msg[0];
	*port = msg[1];
	return pid;
}

Test(hvstub, a_process_killed_mid_operation_is_noticed)
{
	uint32_t ref, port;
	sdrv_evtchn_port_t p0;
	struct sdrv_grant_map op;
	struct sdrv_evtchn_status st = { 0 };
	pid_t pid;

	cr_assert_eq(hvstub_create(1, 32, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	pid = start_guest(1, &ref, &port);
	op = (struct sdrv_grant_map){ .granter = 1, .ref = ref };
	cr_assert_eq(sdrv_grant_map(dom0, &op, 1), 0);
	cr_assert_eq(((unsigned char *)op.addr)[0], 77);
	cr_assert_eq(sdrv_evtchn_bind_interdomain(dom0, 1, port, &p0), 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* hv-stub sees the hang-up and destroys domain 1: its port closes */
	for (int i = 0; i < 1000; i++) {
		sdrv_evtchn_port_t got[4];

		st.port = p0;
		cr_assert_eq(sdrv_evtchn_status(dom0, &st), 0);
		if (st.status == SDRV_EVTCHNSTAT_unbound)
			break;
		sdrv_evtchn_wait(dom0, got, 4, 10);
	}
	cr_assert_eq(st.status, SDRV_EVTCHNSTAT_unbound);
	cr_assert_eq(hvstub_control(HVP_SHOW, 1), -ENOENT);
	/* dom0's mapping outlives the guest until dom0 lets go */
	cr_assert_eq(((unsigned char *)op.addr)[0], 77);
	cr_assert_eq(sdrv_grant_unmap(dom0, &op, 1), 0);
	assert_hvstub_fine();
}

Test(hvstub, a_crashed_domain_can_be_kept_for_inspection)
{
	uint32_t ref, port;
	char list[4096];
	struct sdrv_platform *again;
	pid_t pid;

	cr_assert_eq(hvstub_create(3, 32, false, 0, HVP_ON_CRASH_PRESERVE), 0);
	pid = start_guest(3, &ref, &port);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	for (int i = 0; i < 1000 && !strstr(list, "crashed"); i++) {
		cr_assert_eq(hvstub_list(list, sizeof(list)), 0);
		usleep(10000);
	}
	cr_assert_not_null(strstr(list, "crashed"), "%s", list);
	cr_assert_eq(sdrv_hvstub_attach(hvstub_socket(), 3, &again), -ESHUTDOWN);
	cr_assert_eq(hvstub_control(HVP_DESTROY, 3), 0);
	assert_hvstub_fine();
}

Test(hvstub, attaching_is_checked)
{
	struct sdrv_platform *p;
	pid_t pid;
	int status;

	cr_assert_eq(hvstub_create(4, 32, false, 12345, HVP_ON_CRASH_DEFAULT), 0);
	/* a domain attached by one process cannot be claimed by another */
	cr_assert_eq(sdrv_hvstub_attach(hvstub_socket(), 0, &p), -EBUSY);
	pid = fork();
	if (pid == 0) {
		/* a user who does not own domain 4, and is no administrator */
		if (setgid(65534) || setuid(65534))
			_exit(10);
		if (sdrv_hvstub_attach(hvstub_socket(), 4, &p) != -EACCES)
			_exit(11);
		if (hvstub_create(5, 32, false, 65534, 0) != -EACCES)
			_exit(12);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), 0, "step %d", WEXITSTATUS(status));
	assert_hvstub_fine();
}

Test(hvstub, an_unprivileged_domain_copies_instead_of_mapping)
{
	struct sdrv_platform *u;
	unsigned char *page = sdrv_page_alloc(dom0);
	int64_t ref = sdrv_grant_access(dom0, 1, page, false);
	struct sdrv_grant_map op = { .granter = 0, .ref = (sdrv_grant_ref_t)ref };
	struct sdrv_gnttab_copy seg;
	unsigned char *mine;

	cr_assert_eq(hvstub_create(1, 32, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	cr_assert_eq(sdrv_hvstub_attach(hvstub_socket(), 1, &u), 0);
	cr_assert_eq(sdrv_grant_map(u, &op, 1), 1);
	cr_assert_eq(op.status, SDRV_GNTST_permission_denied);
	page[9] = 99;
	mine = sdrv_page_alloc(u);
	seg = (struct sdrv_gnttab_copy){
		.source = { .u.ref = (sdrv_grant_ref_t)ref, .domid = 0 },
		.dest = { .u.gmfn = (uint32_t)sdrv_page_frame(u, mine),
			  .domid = SDRV_DOMID_SELF },
		.len = 10, .flags = SDRV_GNTCOPY_source_gref };
	cr_assert_eq(sdrv_grant_copy(u, &seg, 1), 0);
	cr_assert_eq(mine[9], 99);
	sdrv_platform_detach(u);
}

Test(hvstub, domain0s_process_can_die_and_come_back)
{
	struct sdrv_platform *u;
	unsigned char *page;
	int64_t ref;
	sdrv_evtchn_port_t pu;
	struct sdrv_evtchn_status st = { 0 };
	int status;
	pid_t pid;

	cr_assert_eq(hvstub_create(1, 32, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	cr_assert_eq(sdrv_hvstub_attach(hvstub_socket(), 1, &u), 0);
	page = sdrv_page_alloc(u);
	ref = sdrv_grant_access(u, 0, page, false);
	cr_assert_eq(sdrv_evtchn_alloc_unbound(u, 0, &pu), 0);
	/* a clean detach of domain 0 leaves domain 0 in place */
	sdrv_platform_detach(dom0);
	dom0 = NULL;
	pid = fork();
	if (pid == 0) {
		/* the next dom0 process maps and binds, then is killed */
		struct sdrv_platform *d0;
		struct sdrv_grant_map op = { .granter = 1, .ref = (sdrv_grant_ref_t)ref };
		sdrv_evtchn_port_t p0;

		if (sdrv_hvstub_attach(hvstub_socket(), 0, &d0) ||
		    sdrv_grant_map(d0, &op, 1) ||
		    sdrv_evtchn_bind_interdomain(d0, 1, pu, &p0))
			_exit(1);
		raise(SIGKILL);
	}
	waitpid(pid, &status, 0);
	cr_assert(WIFSIGNALED(status), "the dom0 child failed before its kill");
	/* hv-stub released what the dead dom0 held: the guest sees its
	 * channel close and may end access to its page */
	for (int i = 0; i < 1000; i++) {
		st.port = pu;
		cr_assert_eq(sdrv_evtchn_status(u, &st), 0);
		if (st.status == SDRV_EVTCHNSTAT_unbound)
			break;
		usleep(10000);
	}
	cr_assert_eq(st.status, SDRV_EVTCHNSTAT_unbound);
	cr_assert_eq(sdrv_grant_end_access(u, (sdrv_grant_ref_t)ref), 0);
	/* and domain 0 takes a new process */
	cr_assert_eq(sdrv_hvstub_attach(hvstub_socket(), 0, &dom0), 0);
	sdrv_platform_detach(u);
	assert_hvstub_fine();
}

/* ---- a domain's life is Xen's: it ends when destroyed or shut down ------ */

/* Run @step in a child process that attaches as @id; return its status. */
static int in_child(sdrv_domid_t id, int (*step)(struct sdrv_platform *p))
{
	int status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct sdrv_platform *p;

		if (sdrv_hvstub_attach(hvstub_socket(), id, &p))
			_exit(100);
		_exit(step(p));
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int grant_then_detach(struct sdrv_platform *p)
{
	sdrv_evtchn_port_t port;

	if (sdrv_evtchn_alloc_unbound(p, 0, &port) || port == 0)
		return 1;
	sdrv_platform_detach(p);
	return 0;
}

static int just_shutdown(struct sdrv_platform *p)
{
	sdrv_platform_shutdown(p);
	return 0;
}

Test(hvstub, a_detached_domain_lives_on_and_a_new_process_attaches)
{
	char list[4096];

	cr_assert_eq(hvstub_create(2, 32, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	cr_assert_eq(in_child(2, grant_then_detach), 0);
	/* the process exited cleanly: domain 2 is still there, free to take */
	cr_assert_eq(hvstub_control(HVP_SHOW, 2), 0);
	cr_assert_eq(in_child(2, grant_then_detach), 0,
		     "a second process could not attach to domain 2");
	cr_assert_eq(hvstub_list(list, sizeof(list)), 0);
	cr_assert_not_null(strstr(list, "dom2"), "%s", list);
	assert_hvstub_fine();
}

Test(hvstub, a_domain_that_shuts_down_is_destroyed)
{
	cr_assert_eq(hvstub_create(2, 32, false, 0, HVP_ON_CRASH_PRESERVE), 0);
	cr_assert_eq(in_child(2, just_shutdown), 0);
	for (int i = 0; i < 1000 && hvstub_control(HVP_SHOW, 2) == 0; i++)
		usleep(10000);
	cr_assert_eq(hvstub_control(HVP_SHOW, 2), -ENOENT,
		     "a shut-down domain is destroyed, even with preserve");
	assert_hvstub_fine();
}

Test(hvstub, attach_without_a_daemon_is_connection_refused)
{
	struct sdrv_platform *p;
	char path[160];

	snprintf(path, sizeof(path), "%s/no-such.sock", hvstub_dir());
	cr_assert_eq(sdrv_hvstub_attach(path, 1, &p), -ECONNREFUSED);
	/* and a daemon that runs but lacks the domain: no such domain */
	cr_assert_eq(sdrv_hvstub_attach(hvstub_socket(), 42, &p), -ENOENT);
}

/* The backend child: attach as privileged domain 3 and copy from guest 1's
 * grant @ref in big batches (its own process, no message each) forever,
 * saying on @fd when the first batch went through. */
static void copying_backend(sdrv_grant_ref_t ref, int fd)
{
	static struct sdrv_gnttab_copy segs[1024];
	struct sdrv_platform *p;
	unsigned char *dst;

	int err = sdrv_hvstub_attach(hvstub_socket(), 3, &p);

	if (err) {
		fprintf(stderr, "attach: %s\n", strerror(-err));
		_exit(100);
	}
	dst = sdrv_page_alloc(p);
	for (unsigned i = 0; i < 1024; i++)
		segs[i] = (struct sdrv_gnttab_copy){
			.source = { .u.ref = ref, .domid = 1 },
			.dest = { .u.gmfn = (uint32_t)sdrv_page_frame(p, dst),
				  .domid = SDRV_DOMID_SELF },
			.len = SDRV_PAGE_SIZE, .flags = SDRV_GNTCOPY_source_gref };
	if (sdrv_grant_copy(p, segs, 1024) != 0)
		_exit(101);
	if (write(fd, "x", 1) != 1)
		_exit(102);
	for (;;)
		sdrv_grant_copy(p, segs, 1024);
}

/* Fork a backend child running @child(@ref, fd) and wait for it to say on
 * fd that it copies or holds.  Return: its pid. */
static pid_t start_backend_child(void (*child)(sdrv_grant_ref_t, int),
				 sdrv_grant_ref_t ref)
{
	int fds[2], status;
	pid_t pid;
	char c;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		child(ref, fds[1]);
	}
	close(fds[1]);
	if (read(fds[0], &c, 1) != 1) {
		waitpid(pid, &status, 0);
		cr_assert_fail("the backend did not start (exit %d)",
			       WEXITSTATUS(status));
	}
	close(fds[0]);
	return pid;
}

/* Kill backend @pid; hv-stub sees the hang-up and drops what it pinned:
 * the guest can end access to @ref (5 s at most).  Return: whether. */
static bool kill_backend_and_end_access(struct sdrv_platform *guest,
					pid_t pid, sdrv_grant_ref_t ref)
{
	int status;

	kill(pid, SIGKILL);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	for (int tries = 0; tries < 500; tries++) {
		if (sdrv_grant_end_access(guest, ref) == 0)
			return true;
		usleep(10000);
	}
	return false;
}

Test(hvstub, a_backend_killed_mid_copy_leaves_no_pin_behind)
{
	struct sdrv_platform *guest;
	unsigned char *page;
	int64_t r;

	cr_assert_eq(hvstub_create(1, 64, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	cr_assert_eq(sdrv_hvstub_attach(hvstub_socket(), 1, &guest), 0);
	page = sdrv_page_alloc(guest);
	for (int round = 0; round < 10; round++) {
		pid_t pid;

		/* the backend's domain goes with its killed process: anew */
		for (int tries = 0; tries < 500 &&
				    hvstub_create(3, 64, true, 0,
						  HVP_ON_CRASH_DEFAULT) == -EEXIST;
		     tries++)
			usleep(10000);

		r = sdrv_grant_access(guest, 3, page, true);
		cr_assert_geq(r, 0);
		pid = start_backend_child(copying_backend, (sdrv_grant_ref_t)r);
		usleep((useconds_t)(round * 300));
		cr_assert(kill_backend_and_end_access(guest, pid,
						      (sdrv_grant_ref_t)r),
			  "round %d: the grant stayed pinned", round);
	}
	sdrv_platform_detach(guest);
	assert_hvstub_fine();
}

/* Mean µs of @n status hypercalls (a round trip through hv-stub each). */
static double hypercall_us(struct sdrv_platform *p, int n)
{
	struct timespec a, b;
	sdrv_evtchn_port_t port;

	cr_assert_eq(sdrv_evtchn_alloc_unbound(p, 0, &port), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		struct sdrv_evtchn_status st = { .port = port };

		cr_assert_eq(sdrv_evtchn_status(p, &st), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	cr_assert_eq(sdrv_evtchn_close(p, port), 0);
	return ((double)(b.tv_sec - a.tv_sec) * 1e9 +
		(double)(b.tv_nsec - a.tv_nsec)) / 1e3 / n;
}

/* The hog: copies within its own memory, as much as a message may move,
 * without pause. */
static void copy_hog(sdrv_domid_t id, int fd)
{
	static struct sdrv_gnttab_copy segs[64];
	struct sdrv_platform *p;

	if (sdrv_hvstub_attach(hvstub_socket(), id, &p))
		_exit(100);
	for (unsigned i = 0; i < 64; i++)
		segs[i] = (struct sdrv_gnttab_copy){
			.source = { .u.gmfn = 8 + i % 16, .domid = SDRV_DOMID_SELF },
			.dest = { .u.gmfn = 30 + i % 16, .domid = SDRV_DOMID_SELF },
			.len = SDRV_PAGE_SIZE };
	if (write(fd, "x", 1) != 1)
		_exit(101);
	for (;;)
		sdrv_grant_copy(p, segs, 64);
}

Test(hvstub, big_copy_batches_are_bounded_and_bystanders_served)
{
	static struct sdrv_gnttab_copy huge[HVP_MAX_COPY_SEGS];
	struct sdrv_platform *bystander;
	double idle, busy;
	int s = hvstub_connect(), fds[2], status;
	pid_t hog;
	char c;

	cr_assert_eq(hvstub_create(1, 64, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	cr_assert_eq(hvstub_create(7, 64, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	/* 1024 segments of 4 KiB in one message: 4 MiB, refused whole */
	cr_assert_eq(raw_request(s, HVP_ATTACH, &ATTACH(7),
				 sizeof(struct hvp_attach)), 0);
	for (unsigned i = 0; i < HVP_MAX_COPY_SEGS; i++)
		huge[i] = (struct sdrv_gnttab_copy){
			.source = { .u.gmfn = 8, .domid = SDRV_DOMID_SELF },
			.dest = { .u.gmfn = 9, .domid = SDRV_DOMID_SELF },
			.len = SDRV_PAGE_SIZE };
	cr_assert_eq(raw_request(s, HVP_GRANT_COPY, huge, sizeof(huge)), -E2BIG);
	cr_assert_eq(raw_request(s, HVP_DETACH, NULL, 0), 0);
	close(s);

	cr_assert_eq(sdrv_hvstub_attach(hvstub_socket(), 1, &bystander), 0);
	idle = hypercall_us(bystander, 2000);
	cr_assert_eq(pipe(fds), 0);
	hog = fork();
	cr_assert_geq(hog, 0);
	if (hog == 0) {
		close(fds[0]);
		copy_hog(7, fds[1]);
	}
	close(fds[1]);
	cr_assert_eq(read(fds[0], &c, 1), 1, "the hog started");
	close(fds[0]);
	busy = hypercall_us(bystander, 2000);
	kill(hog, SIGKILL);
	cr_assert_eq(waitpid(hog, &status, 0), hog);
	/* a measure, not a verdict (timings belong to bench/): every call
	 * got through, and this is how long they took */
	cr_log_info("a bystander's hypercall: %.1f us idle, %.1f us beside a domain copying 256 KiB per message (%.1fx)",
		    idle, busy, busy / idle);
	sdrv_platform_detach(bystander);
	assert_hvstub_fine();
}

/* As user @uid: connect to hv-stub until refused; report how many on @fd,
 * then hold them until killed. */
static void hog_connections(uid_t uid, int fd)
{
	unsigned n = 0; /* the connections stay open: never closed here */

	if (setgid(uid) || setuid(uid))
		_exit(100);
	while (n < HVP_MAX_CONNS) {
		int s = hvstub_connect();

		if (s < 0)
			break;
		n++;
		/* a refused one is closed at once */
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		if (poll(&pfd, 1, 10) == 1 && closed_by_peer(s))
			break;
	}
	if (write(fd, &n, sizeof(n)) != sizeof(n))
		_exit(101);
	pause();
	_exit(0);
}

/* As user @uid: attach domain @id and let go; the attach's status. */
static int attach_as(uid_t uid, sdrv_domid_t id)
{
	int status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct sdrv_platform *p;
		int err;

		if (setgid(uid) || setuid(uid))
			_exit(100);
		err = sdrv_hvstub_attach(hvstub_socket(), id, &p);
		if (!err)
			sdrv_platform_detach(p);
		_exit(err ? 1 : 0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Test(hvstub, a_user_holding_connections_locks_out_neither_toolstack_nor_owners)
{
	int fds[2], status;
	unsigned got = 0;
	pid_t hog;

	if (geteuid() != 0)
		cr_skip_test("needs root to act as two other users");
	/* other users reach the socket through its directory */
	cr_assert_eq(chmod(hvstub_dir(), 0755), 0);
	cr_assert_eq(pipe(fds), 0);
	hog = fork();
	cr_assert_geq(hog, 0);
	if (hog == 0) {
		close(fds[0]);
		hog_connections(65534, fds[1]);
	}
	close(fds[1]);
	cr_assert_eq(read(fds[0], &got, sizeof(got)), (ssize_t)sizeof(got));
	close(fds[0]);
	cr_log_info("one user got %u connections before its share ran out", got);
	cr_assert_leq(got, HVP_CONNS_PER_USER + 2u); /* + the refused */
	/* the toolstack still gets in, and so does another domain's owner */
	cr_assert_eq(hvstub_create(4, 32, false, 65533, HVP_ON_CRASH_DEFAULT), 0);
	cr_assert_eq(attach_as(65533, 4), 0, "the owner attaches its domain");
	cr_assert_eq(hvstub_control(HVP_SHOW, 4), 0);
	kill(hog, SIGKILL);
	cr_assert_eq(waitpid(hog, &status, 0), hog);
	assert_hvstub_fine();
}

Test(hvstub, the_new_hypercalls_refuse_garbage_and_the_domain_stays)
{
	struct hvp_doorbells bell = { .port = 0 };
	struct hvp_domid who = { .domid = 1 };
	int s = hvstub_connect(), p = hvstub_connect();

	cr_assert_eq(hvstub_create(1, 32, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	cr_assert_eq(hvstub_create(3, 32, true, 0, HVP_ON_CRASH_DEFAULT), 0);
	/* before attaching */
	cr_assert_eq(raw_request(s, HVP_GRANT_FASTPATH, NULL, 0), -ENOTCONN);
	cr_assert_eq(raw_request(s, HVP_GRANT_VIEW, &who, sizeof(who)), -ENOTCONN);
	cr_assert_eq(raw_request(s, HVP_EVTCHN_DOORBELL, &bell, sizeof(bell)),
		     -ENOTCONN);
	/* an unprivileged domain: no fast path, no views */
	cr_assert_eq(raw_request(s, HVP_ATTACH, &ATTACH(1),
				 sizeof(struct hvp_attach)), 0);
	cr_assert_eq(raw_request(s, HVP_GRANT_FASTPATH, NULL, 0), -EPERM);
	cr_assert_eq(raw_request(s, HVP_GRANT_VIEW, &who, sizeof(who)), -ENOTCONN);
	/* doorbells of ports that are not its own open ones, or no port */
	for (uint32_t port = 0; port < 3; port++) {
		bell.port = port == 2 ? UINT32_MAX : port == 1 ? 4095 : 0;
		cr_assert_eq(raw_request(s, HVP_EVTCHN_DOORBELL, &bell,
					 sizeof(bell)),
			     -EINVAL, "port %u", bell.port);
	}
	cr_assert_eq(raw_request(s, HVP_EVTCHN_DOORBELL, &bell, 3), -EINVAL);
	/* a privileged one: sizes that lie, the fast path twice, views of
	 * domains that are not there or not in range */
	cr_assert_eq(raw_request(p, HVP_ATTACH, &ATTACH(3),
				 sizeof(struct hvp_attach)), 0);
	cr_assert_eq(raw_request(p, HVP_GRANT_VIEW, &who, sizeof(who)), -ENOTCONN,
		     "a view before the fast path");
	cr_assert_eq(raw_request(p, HVP_GRANT_FASTPATH, &who, sizeof(who)), -EINVAL);
	cr_assert_eq(raw_request(p, HVP_GRANT_FASTPATH, NULL, 0), 0);
	cr_assert_eq(raw_request(p, HVP_GRANT_FASTPATH, NULL, 0), -EALREADY);
	cr_assert_eq(raw_request(p, HVP_GRANT_VIEW, &who, 2), -EINVAL);
	who.domid = 77;
	cr_assert_eq(raw_request(p, HVP_GRANT_VIEW, &who, sizeof(who)), -ESRCH);
	who.domid = UINT32_MAX;
	cr_assert_eq(raw_request(p, HVP_GRANT_VIEW, &who, sizeof(who)), -ESRCH);
	who.domid = 1;
	cr_assert_eq(raw_request(p, HVP_GRANT_VIEW, &who, sizeof(who)), 0);
	/* both domains are still attached and working */
	cr_assert_eq(raw_request(s, HVP_SHOW, &(uint32_t){ 1 }, 4), 0);
	cr_assert_eq(raw_request(p, HVP_SHOW, &(uint32_t){ 3 }, 4), 0);
	close(s);
	close(p);
	assert_hvstub_fine();
}

/* ---- grants held across an I/O (sdrv_grant_hold) ------------------------ */

/* Guest 1 created and attached as *@guest, with a page granted to dom0
 * (*@page).  Return: its ref. */
static sdrv_grant_ref_t guest1_grants_a_page(struct sdrv_platform **guest,
					     unsigned char **page, bool readonly)
{
	int64_t r;

	cr_assert_eq(hvstub_create(1, 64, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	cr_assert_eq(sdrv_hvstub_attach(hvstub_socket(), 1, guest), 0);
	*page = sdrv_page_alloc(*guest);
	cr_assert_not_null(*page);
	r = sdrv_grant_access(*guest, 0, *page, readonly);
	cr_assert_geq(r, 0);
	return (sdrv_grant_ref_t)r;
}

Test(hvstub, a_held_grant_is_the_guests_own_page_and_pinned_until_released)
{
	struct sdrv_platform *guest;
	struct sdrv_grant_hold h = { .granter = 1 };
	unsigned char *page;

	h.ref = guest1_grants_a_page(&guest, &page, false);
	cr_assert_eq(sdrv_grant_hold(dom0, &h, 1), 0);
	cr_assert_eq(h.status, SDRV_GNTST_okay);
	/* Zero copy: what the backend writes is in the guest's page. */
	memcpy(h.page, "straight in", 12);
	cr_expect_str_eq((char *)page, "straight in");
	cr_expect_eq(sdrv_grant_end_access(guest, h.ref), -EBUSY,
		     "a held page cannot be taken back");
	sdrv_grant_release(dom0, &h, 1);
	cr_expect_eq(sdrv_grant_end_access(guest, h.ref), 0,
		     "released: the guest ends access");
	sdrv_platform_detach(guest);
	assert_hvstub_fine();
}

Test(hvstub, a_hold_is_checked_as_a_copy_is)
{
	struct sdrv_platform *guest;
	struct sdrv_grant_hold h[5];
	unsigned char *page;
	int64_t ro = guest1_grants_a_page(&guest, &page, true), other;

	cr_assert_eq(hvstub_create(2, 64, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	other = sdrv_grant_access(guest, 2, page, false);
	cr_assert_geq(ro, 0);
	cr_assert_geq(other, 0);
	memset(h, 0, sizeof(h));
	for (int i = 0; i < 5; i++)
		h[i].granter = 1;
	h[0].ref = (sdrv_grant_ref_t)ro; /* writable hold of a read-only grant */
	h[1].ref = (sdrv_grant_ref_t)other; /* granted to domain 2 */
	h[2].ref = 1000; /* never granted */
	h[3].ref = 0xffffff; /* beyond the table */
	h[4].ref = (sdrv_grant_ref_t)ro; /* read-only: fine */
	h[4].readonly = true;
	cr_assert_eq(sdrv_grant_hold(dom0, h, 5), 4, "four refused, one held");
	cr_expect_eq(h[0].status, SDRV_GNTST_permission_denied);
	cr_expect_neq(h[1].status, SDRV_GNTST_okay);
	cr_expect_neq(h[2].status, SDRV_GNTST_okay);
	cr_expect_eq(h[3].status, SDRV_GNTST_bad_gntref);
	cr_expect_eq(h[4].status, SDRV_GNTST_okay);
	for (int i = 0; i < 4; i++)
		cr_expect_null(h[i].page, "a refused hold reaches nothing");
	sdrv_grant_release(dom0, h, 5);
	cr_expect_eq(sdrv_grant_end_access(guest, (sdrv_grant_ref_t)ro), 0);
	cr_expect_eq(sdrv_grant_end_access(guest, (sdrv_grant_ref_t)other), 0);
	sdrv_platform_detach(guest);
	assert_hvstub_fine();
}

/* sdrv_grant_read() checks each read as a copy's segment is checked,
 * copies what the guest granted, and pins nothing: the guest ends access
 * the moment the call returns. */
Test(hvstub, a_read_is_checked_as_a_copy_is_and_pins_nothing)
{
	struct sdrv_platform *guest;
	struct sdrv_grant_read r[6];
	char out[6][16];
	unsigned char *page;
	int64_t ro = guest1_grants_a_page(&guest, &page, true), other;

	cr_assert_eq(hvstub_create(2, 64, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	memcpy(page + 100, "read, not held", 15);
	other = sdrv_grant_access(guest, 2, page, false);
	cr_assert_geq(ro, 0);
	cr_assert_geq(other, 0);
	memset(out, 0, sizeof(out));
	for (int i = 0; i < 6; i++)
		r[i] = (struct sdrv_grant_read){ .granter = 1, .ref = (sdrv_grant_ref_t)ro,
						 .offset = 100, .len = 15, .dst = out[i] };
	r[1].ref = (sdrv_grant_ref_t)other; /* granted to domain 2 */
	r[2].ref = 1000; /* never granted */
	r[3].ref = 0xffffff; /* beyond the table */
	r[4].offset = 4090; /* past the page's end */
	r[5].granter = 9; /* no such domain */
	cr_assert_eq(sdrv_grant_read(dom0, r, 6), 5, "five refused, one read");
	cr_expect_eq(r[0].status, SDRV_GNTST_okay);
	cr_expect_str_eq(out[0], "read, not held");
	cr_expect_neq(r[1].status, SDRV_GNTST_okay);
	cr_expect_neq(r[2].status, SDRV_GNTST_okay);
	cr_expect_eq(r[3].status, SDRV_GNTST_bad_gntref);
	cr_expect_eq(r[4].status, SDRV_GNTST_bad_copy_arg);
	cr_expect_neq(r[5].status, SDRV_GNTST_okay);
	cr_expect_eq(sdrv_grant_end_access(guest, (sdrv_grant_ref_t)ro), 0,
		     "nothing pinned: the guest ends access at once");
	cr_expect_eq(sdrv_grant_read(dom0, r, 1), 1, "access ended: refused");
	cr_expect_eq(sdrv_grant_read(guest, r, 1), -EOPNOTSUPP,
		     "an unprivileged domain reads nothing so (it copies)");
	cr_expect_eq(sdrv_grant_end_access(guest, (sdrv_grant_ref_t)other), 0);
	sdrv_platform_detach(guest);
	assert_hvstub_fine();
}

/* sdrv_grant_prefetch() is a hint: garbage of every kind is taken, and
 * nothing is held (the guest ends access at once), checked or changed. */
Test(hvstub, a_prefetch_hint_takes_garbage_and_holds_nothing)
{
	struct sdrv_platform *guest;
	struct sdrv_grant_hold h = { .granter = 1, .readonly = true };
	struct sdrv_grant_touch t[5];
	unsigned char *page;
	sdrv_grant_ref_t r = guest1_grants_a_page(&guest, &page, true);

	/* A hold first, so that dom0 has a view of guest 1 to hint into. */
	h.ref = r;
	cr_assert_eq(sdrv_grant_hold(dom0, &h, 1), 0);
	sdrv_grant_release(dom0, &h, 1);
	t[0] = (struct sdrv_grant_touch){ .ref = r, .offset = 64 };
	t[1] = (struct sdrv_grant_touch){ .ref = r, .offset = 0xffff };
	t[2] = (struct sdrv_grant_touch){ .ref = 1000 }; /* never granted */
	t[3] = (struct sdrv_grant_touch){ .ref = 0xffffff }; /* beyond the table */
	t[4] = (struct sdrv_grant_touch){ .ref = 0, .write = true }; /* whatever entry 0 is */
	sdrv_grant_prefetch(dom0, 1, t, 5);
	sdrv_grant_prefetch(dom0, 7, t, 5); /* no such domain */
	sdrv_grant_prefetch(dom0, 0xffff, t, 5); /* no domain at all */
	sdrv_grant_prefetch(guest, 0, t, 5); /* an unprivileged caller */
	cr_expect_eq(sdrv_grant_end_access(guest, r), 0,
		     "a hint pins nothing: the guest ends access");
	sdrv_platform_detach(guest);
	cr_assert_eq(hvstub_control(HVP_DESTROY, 1), 0);
	sdrv_grant_prefetch(dom0, 1, t, 5); /* a domain gone */
	assert_hvstub_fine();
}

/* This process's memory mappings: how many. */
static unsigned mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned n = 0;
	int c;

	cr_assert_not_null(f);
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* Pages held from a domain that is then destroyed stay where they are
 * until the backend lets go of the last of them; its view of the domain
 * is unmapped then, not before; a hold asked after the death fails. */
Test(hvstub, pages_held_from_a_domain_destroyed_stay_until_the_last_release)
{
	struct sdrv_platform *guest;
	struct sdrv_grant_hold h[3], late = { .granter = 1 };
	unsigned char *page[3];
	unsigned maps;

	cr_assert_eq(hvstub_create(1, 64, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	cr_assert_eq(sdrv_hvstub_attach(hvstub_socket(), 1, &guest), 0);
	for (int i = 0; i < 3; i++) {
		int64_t r;

		page[i] = sdrv_page_alloc(guest);
		page[i][0] = (unsigned char)(0x40 + i);
		r = sdrv_grant_access(guest, 0, page[i], false);
		cr_assert_geq(r, 0);
		h[i] = (struct sdrv_grant_hold){ .granter = 1, .ref = (sdrv_grant_ref_t)r };
	}
	late.ref = h[0].ref;
	cr_assert_eq(sdrv_grant_hold(dom0, h, 3), 0, "all three held at once");
	sdrv_platform_detach(guest);
	cr_assert_eq(hvstub_control(HVP_DESTROY, 1), 0);
	for (int i = 0; i < 3; i++)
		cr_expect_eq(((unsigned char *)h[i].page)[0], 0x40 + i,
			     "held page %d still readable after its domain went", i);
	cr_expect_gt(sdrv_grant_hold(dom0, &late, 1), 0, "no new hold on a domain gone");
	sdrv_grant_release(dom0, h, 2);
	cr_expect_eq(((unsigned char *)h[2].page)[0], 0x42, "the last held page stays");
	maps = mappings();
	sdrv_grant_release(dom0, h + 2, 1);
	cr_expect_lt(mappings(), maps, "the last release unmaps the dead domain's view (%u before)", maps);
	assert_hvstub_fine();
}

/* The holding child: attach as privileged domain 3, hold guest 1's grant
 * @ref, say so on @fd, and wait to be killed. */
static void holding_backend(sdrv_grant_ref_t ref, int fd)
{
	struct sdrv_grant_hold h = { .granter = 1, .ref = ref };
	struct sdrv_platform *p;

	if (sdrv_hvstub_attach(hvstub_socket(), 3, &p))
		_exit(100);
	if (sdrv_grant_hold(p, &h, 1) != 0)
		_exit(101);
	if (write(fd, "x", 1) != 1)
		_exit(102);
	for (;;)
		pause();
}

Test(hvstub, a_backend_killed_holding_a_grant_leaves_no_pin_behind)
{
	struct sdrv_platform *guest;
	unsigned char *page;
	pid_t pid;
	int64_t r;

	cr_assert_eq(hvstub_create(1, 64, false, 0, HVP_ON_CRASH_DEFAULT), 0);
	cr_assert_eq(hvstub_create(3, 64, true, 0, HVP_ON_CRASH_DEFAULT), 0);
	cr_assert_eq(sdrv_hvstub_attach(hvstub_socket(), 1, &guest), 0);
	page = sdrv_page_alloc(guest);
	r = sdrv_grant_access(guest, 3, page, false);
	cr_assert_geq(r, 0);
	pid = start_backend_child(holding_backend, (sdrv_grant_ref_t)r);
	cr_expect_eq(sdrv_grant_end_access(guest, (sdrv_grant_ref_t)r), -EBUSY,
		     "held while the backend lives");
	cr_assert(kill_backend_and_end_access(guest, pid, (sdrv_grant_ref_t)r),
		  "the held grant stayed pinned after the kill");
	sdrv_platform_detach(guest);
	assert_hvstub_fine();
}
