/* SPDX-License-Identifier: MIT */
/*
 * A hostile frontend against a running blkback: this test process is guest
 * domain 1 of a real hv-stub (running sdrv-xenstored) and writes the ring
 * by hand, with what no blkfront would send.  blkback (the build's own,
 * under the same sanitizers) must answer each bad request with an error,
 * stop only the device whose ring index lies, go on serving the guest's
 * other disk, and hold no more descriptors once the frontend has gone.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <splitdrv/blkif.h>
#include <splitdrv/platform.h>
#include <splitdrv/xenbus_driver.h>
#include <splitdrv/xs.h>

#include "../platform/hvstub_ctl.h"

#define XVDA 51712u
#define XVDB 51728u
#define DISK_SECTORS 2048u /* 1 MiB */

static pid_t blkback_pid;
static bool copy_mode; /* start blkback with --copy */
static char wdir[64], xs_sock[128];

/* ---- the world: hv-stub with XenStore, two disks, blkback ------------- */

static void make_disk(const char *name, uint32_t devid, struct sdrv_xs *xs)
{
	char path[320];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", wdir, name);
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, DISK_SECTORS * 512), 0);
	close(fd);
	{
		const char *const back[] = { "params", path, "mode", "w", NULL };

		cr_assert_eq(sdrv_xenbus_device_create_with(xs, 0, 1, "vbd", devid,
							    NULL, back), 0);
	}
}

static void world_up(void)
{
	struct sdrv_xs *xs;
	char hv_sock[256];

	snprintf(wdir, sizeof(wdir), "/tmp/blk-hostile-XXXXXX");
	cr_assert_not_null(mkdtemp(wdir));
	snprintf(xs_sock, sizeof(xs_sock), "%s/xenstored.sock", wdir);
	/* dom0 (blkback) needs room for its bounce pages. */
	hvstub_start((const char *const[]){ "--dom0-mem", "32M", "--xenstored",
					    XENSTORED_PATH, "--xenstore",
					    xs_sock, NULL });
	/* The daemon binds its socket before it listens: try for 5 s. */
	int err = sdrv_xs_open_socket(xs_sock, &xs);

	for (int i = 0; i < 250 && err; i++) {
		usleep(20000);
		err = sdrv_xs_open_socket(xs_sock, &xs);
	}
	cr_assert_eq(err, 0, "XenStore at %s: %s", xs_sock, strerror(-err));
	cr_assert_eq(hvstub_create(1, 4096, false, 0, 0), 0);
	make_disk("a.img", XVDA, xs);
	make_disk("b.img", XVDB, xs);
	sdrv_xs_close(xs);
	snprintf(hv_sock, sizeof(hv_sock), "%s", hvstub_socket());
	blkback_pid = fork();
	if (blkback_pid == 0) {
		execl(BLKBACK_PATH, BLKBACK_PATH, "-s", hv_sock, "-x", xs_sock,
		      "--pool-pages", "256", copy_mode ? "--copy" : (char *)NULL,
		      (char *)NULL);
		_exit(127);
	}
}

static void world_down(void)
{
	int status = 0;

	if (blkback_pid > 0) {
		kill(blkback_pid, SIGTERM);
		waitpid(blkback_pid, &status, 0);
		cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "blkback survived the test and exits 0 (status %#x)",
			  status);
	}
	blkback_pid = 0;
	hvstub_stop();
	{
		char path[128];

		for (const char *const *n = (const char *const[]){
			     "a.img", "b.img", "xenstored.sock", NULL };
		     *n; n++) {
			snprintf(path, sizeof(path), "%s/%s", wdir, *n);
			unlink(path);
		}
		rmdir(wdir);
	}
}

TestSuite(blkback_hostile, .init = world_up, .fini = world_down,
	  .timeout = 120);

/* The same blkback copying through its bounce pages (--copy) instead of
 * holding the guest's pages: grants are checked on that path too. */
static void world_up_copy(void)
{
	copy_mode = true;
	world_up();
}

TestSuite(blkback_hostile_copy, .init = world_up_copy, .fini = world_down,
	  .timeout = 120);

/* ---- a frontend written by hand ---------------------------------------- */

struct raw_front {
	struct sdrv_platform *p;
	struct sdrv_xs *xs;
	struct sdrv_xenbus_device dev;
	struct sdrv_xenbus_ring ring;
	struct sdrv_ring_front front;
	sdrv_evtchn_port_t port;
};

static struct sdrv_platform *guest;
static struct sdrv_xs *guest_xs;

static void guest_attach(void)
{
	if (guest)
		return;
	cr_assert_eq(sdrv_hvstub_attach(hvstub_socket(), 1, &guest), 0);
	cr_assert_eq(sdrv_xs_open_ring(guest, &guest_xs), 0);
}

static int peer_state(struct raw_front *f, uint32_t mask)
{
	return sdrv_xenbus_wait_peer_state(&f->dev.xb, mask, 10000);
}

/* The handshake as blkfront does it, one page, one queue. */
static void front_connect(struct raw_front *f, uint32_t devid)
{
	memset(f, 0, sizeof(*f));
	guest_attach();
	f->p = guest;
	f->xs = guest_xs;
	f->dev.platform = guest;
	cr_assert_eq(sdrv_xenbus_attach(&f->dev.xb, guest_xs, false, 1, 0, "vbd",
				    devid), 0);
	cr_assert_eq(sdrv_xenbus_switch_state(&f->dev.xb,
					      SDRV_XENBUS_INITIALISING), 0);
	cr_assert_eq(peer_state(f, 1u << SDRV_XENBUS_INIT_WAIT),
		     SDRV_XENBUS_INIT_WAIT, "blkback offered the disk");
	cr_assert_eq(sdrv_xenbus_grant_ring(&f->dev, 0, "", 0, &f->ring), 0);
	cr_assert_eq(sdrv_xenbus_alloc_evtchn(&f->dev, 0, "", "event-channel",
					      &f->port), 0);
	cr_assert_eq(sdrv_ring_sring_init(f->ring.addr, SDRV_PAGE_SIZE), 0);
	cr_assert_eq(sdrv_blkif_front_attach(&f->front, f->ring.addr,
					     SDRV_PAGE_SIZE, 0), 0);
	cr_assert_eq(sdrv_xenbus_switch_state(&f->dev.xb,
					      SDRV_XENBUS_INITIALISED), 0);
	cr_assert_eq(peer_state(f, 1u << SDRV_XENBUS_CONNECTED),
		     SDRV_XENBUS_CONNECTED, "blkback connected");
}

static void front_disconnect(struct raw_front *f)
{
	sdrv_xenbus_switch_state(&f->dev.xb, SDRV_XENBUS_CLOSING);
	peer_state(f, 1u << SDRV_XENBUS_CLOSING | 1u << SDRV_XENBUS_CLOSED);
	sdrv_xenbus_switch_state(&f->dev.xb, SDRV_XENBUS_CLOSED);
	peer_state(f, 1u << SDRV_XENBUS_CLOSED);
	sdrv_evtchn_close(f->p, f->port);
	sdrv_xenbus_ungrant_ring(&f->dev, &f->ring);
	sdrv_xenbus_detach(&f->dev.xb);
}

static void ring_send(struct raw_front *f, const void *slot, unsigned n)
{
	cr_assert_eq(sdrv_blkif_front_put_requests(&f->front, slot, n), n);
	if (sdrv_ring_front_push(&f->front))
		sdrv_evtchn_notify(f->p, f->port);
}

/* Take @n responses, waiting up to 10 s for them. */
static void responses(struct raw_front *f, struct sdrv_blkif_response *rsp,
		      unsigned n)
{
	unsigned got = 0;

	for (int idle = 0; got < n && idle < 100;) {
		uint32_t k = sdrv_blkif_front_take_responses(&f->front,
							     rsp + got, n - got);

		got += k;
		if (k)
			continue;
		if (sdrv_ring_front_final_check(&f->front))
			continue;
		if (sdrv_evtchn_wait_port(f->p, f->port, 100) == 0)
			idle++;
	}
	cr_assert_eq(got, n, "%u of %u responses came", got, n);
}

static struct sdrv_blkif_request rw(uint8_t op, uint64_t id, uint64_t sector,
				    sdrv_grant_ref_t gref)
{
	struct sdrv_blkif_request r;

	memset(&r, 0, sizeof(r));
	r.operation = op;
	r.id = id;
	r.sector_number = sector;
	r.nr_segments = 1;
	r.seg[0].gref = gref;
	r.seg[0].first_sect = 0;
	r.seg[0].last_sect = 7;
	return r;
}

static int16_t one(struct raw_front *f, struct sdrv_blkif_request r)
{
	struct sdrv_blkif_response rsp;

	ring_send(f, &r, 1);
	responses(f, &rsp, 1);
	cr_assert_eq(rsp.id, r.id, "the response names the request");
	return rsp.status;
}

/* A page of ours granted to blkback (domain 0), or to @to. */
static sdrv_grant_ref_t grant(void **page, sdrv_domid_t to, bool ro)
{
	int64_t ref;

	*page = sdrv_page_alloc(guest);
	cr_assert_not_null(*page);
	ref = sdrv_grant_access(guest, to, *page, ro);
	cr_assert_geq(ref, 0);
	return (sdrv_grant_ref_t)ref;
}

/* ---- the cases ------------------------------------------------------- */

static void refs_fail_alone(void)
{
	struct raw_front f;
	void *mine, *ro, *other;
	sdrv_grant_ref_t g_mine, g_ro, g_other;

	front_connect(&f, XVDA);
	g_mine = grant(&mine, 0, false);
	g_ro = grant(&ro, 0, true);
	g_other = grant(&other, 2, false);
	memset(mine, 0x5a, SDRV_PAGE_SIZE);
	cr_expect_eq(one(&f, rw(SDRV_BLKIF_OP_WRITE, 1, 8, g_mine)),
		     SDRV_BLKIF_RSP_OKAY);
	cr_expect_eq(one(&f, rw(SDRV_BLKIF_OP_READ, 2, 8, 4000)),
		     SDRV_BLKIF_RSP_ERROR, "a ref never granted");
	cr_expect_eq(one(&f, rw(SDRV_BLKIF_OP_READ, 3, 8, g_ro)),
		     SDRV_BLKIF_RSP_ERROR, "a read into a read-only grant");
	cr_expect_eq(one(&f, rw(SDRV_BLKIF_OP_READ, 4, 8, g_other)),
		     SDRV_BLKIF_RSP_ERROR, "a ref granted to domain 2");
	cr_expect_eq(one(&f, rw(SDRV_BLKIF_OP_WRITE, 5, 8, 0xffffffffu)),
		     SDRV_BLKIF_RSP_ERROR, "a ref beyond the table");
	/* The read-only grant is fine as the source of a write. */
	cr_expect_eq(one(&f, rw(SDRV_BLKIF_OP_WRITE, 6, 16, g_ro)),
		     SDRV_BLKIF_RSP_OKAY);
	memset(mine, 0, SDRV_PAGE_SIZE);
	cr_expect_eq(one(&f, rw(SDRV_BLKIF_OP_READ, 7, 8, g_mine)),
		     SDRV_BLKIF_RSP_OKAY, "the device still serves");
	cr_expect_eq(((unsigned char *)mine)[4095], 0x5a);
	front_disconnect(&f);
}

Test(blkback_hostile, refs_not_granted_read_only_or_granted_elsewhere_fail_alone)
{
	refs_fail_alone();
}

Test(blkback_hostile_copy, refs_not_granted_read_only_or_granted_elsewhere_fail_alone)
{
	refs_fail_alone();
}

Test(blkback_hostile, a_flood_of_invalid_requests_is_answered_one_by_one)
{
	struct sdrv_blkif_request bad[32];
	struct sdrv_blkif_response rsp[32];
	struct raw_front f;
	void *page;
	sdrv_grant_ref_t g;

	front_connect(&f, XVDA);
	g = grant(&page, 0, false);
	for (int round = 0; round < 64; round++) { /* 2048 requests */
		for (unsigned i = 0; i < 32; i++) {
			bad[i] = rw(SDRV_BLKIF_OP_READ, round * 32u + i, 0, g);
			switch (i % 4) {
			case 0: bad[i].operation = 0x77; break; /* unknown */
			case 1: bad[i].nr_segments = 200; break;
			case 2: bad[i].seg[0].last_sect = 9; break;
			case 3: bad[i].sector_number = DISK_SECTORS - 4; break;
			}
		}
		ring_send(&f, bad, 32);
		responses(&f, rsp, 32);
		for (unsigned i = 0; i < 32; i++) {
			cr_assert_eq(rsp[i].id, round * 32u + i);
			cr_assert_eq(rsp[i].status,
				     i % 4 == 0 ? SDRV_BLKIF_RSP_EOPNOTSUPP
						: SDRV_BLKIF_RSP_ERROR);
		}
	}
	cr_expect_eq(one(&f, rw(SDRV_BLKIF_OP_READ, 9999, 0, g)),
		     SDRV_BLKIF_RSP_OKAY, "a good request after the flood");
	front_disconnect(&f);
}

Test(blkback_hostile, indirect_pages_of_garbage_fail_their_request)
{
	struct sdrv_blkif_request_indirect ind;
	struct sdrv_blkif_request r;
	struct raw_front f;
	struct sdrv_blkif_segment *segs;
	void *data;
	sdrv_grant_ref_t g_ind, g_data;

	front_connect(&f, XVDA);
	g_ind = grant((void **)&segs, 0, true);
	g_data = grant(&data, 0, false);
	memset(&ind, 0, sizeof(ind));
	ind.operation = SDRV_BLKIF_OP_INDIRECT;
	ind.indirect_op = SDRV_BLKIF_OP_READ;
	ind.nr_segments = 16;
	ind.indirect_grefs[0] = g_ind;
	ind.id = 1;
	for (unsigned i = 0; i < 16; i++)
		segs[i] = (struct sdrv_blkif_segment){ g_data, 0, 7 };
	memset(&r, 0, sizeof(r));
	memcpy(&r, &ind, sizeof(ind));
	cr_expect_eq(one(&f, r), SDRV_BLKIF_RSP_OKAY,
		     "16 segments on one granted page: the same ref twice is fine");
	memset(segs, 0xff, SDRV_PAGE_SIZE); /* garbage */
	ind.id = 2;
	memcpy(&r, &ind, sizeof(ind));
	cr_expect_eq(one(&f, r), SDRV_BLKIF_RSP_ERROR);
	ind.id = 3;
	ind.indirect_grefs[0] = 4000; /* not granted */
	memcpy(&r, &ind, sizeof(ind));
	cr_expect_eq(one(&f, r), SDRV_BLKIF_RSP_ERROR);
	front_disconnect(&f);
}

/* Rewrites the slots blkback reads while it reads them. */
struct flipper {
	struct raw_front *f;
	volatile bool stop;
};

static void *flip(void *arg)
{
	struct flipper *fl = arg;
	unsigned char *slots = (unsigned char *)fl->f->ring.addr +
			       SDRV_SRING_HEADER_SIZE;
	unsigned x = 1;

	while (!fl->stop) {
		x = x * 1103515245u + 12345u;
		/* operation, nr_segments, a segment's sectors of some slot */
		unsigned s = (x >> 8) % 32;
		unsigned char *slot = slots + s * sizeof(union sdrv_blkif_slot);

		__atomic_store_n(slot + (x >> 20) % 40, (unsigned char)x,
				 __ATOMIC_RELAXED);
	}
	return NULL;
}

Test(blkback_hostile, requests_changing_while_read_get_an_answer_each)
{
	struct sdrv_blkif_request reqs[16];
	struct sdrv_blkif_response rsp[16];
	struct flipper fl;
	struct raw_front f;
	pthread_t t;
	void *page;
	sdrv_grant_ref_t g;

	front_connect(&f, XVDA);
	g = grant(&page, 0, false);
	fl.f = &f;
	fl.stop = false;
	cr_assert_eq(pthread_create(&t, NULL, flip, &fl), 0);
	for (int round = 0; round < 200; round++) {
		for (unsigned i = 0; i < 16; i++)
			reqs[i] = rw(SDRV_BLKIF_OP_READ, 0, i * 8, g);
		ring_send(&f, reqs, 16);
		/* The flipper garbles the responses in the slots too (they
		 * share them): what is ours to check is that every request
		 * gets one. */
		responses(&f, rsp, 16);
	}
	fl.stop = true;
	pthread_join(t, NULL);
	cr_expect_eq(one(&f, rw(SDRV_BLKIF_OP_READ, 77, 0, g)),
		     SDRV_BLKIF_RSP_OKAY, "the device serves on, untouched");
	front_disconnect(&f);
}

static int open_fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	cr_assert_not_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

Test(blkback_hostile, a_lying_ring_index_stops_that_disk_alone)
{
	struct raw_front a, b;
	struct sdrv_sring *sring;
	char error[128];
	void *page;
	sdrv_grant_ref_t g;

	front_connect(&b, XVDB);
	front_connect(&a, XVDA);
	g = grant(&page, 0, false);
	cr_expect_eq(one(&a, rw(SDRV_BLKIF_OP_READ, 1, 0, g)), SDRV_BLKIF_RSP_OKAY);
	/* Claim 1000 requests on a ring of 32. */
	sring = a.ring.addr;
	__atomic_store_n(&sring->req_prod, sring->req_prod + 1000,
			 __ATOMIC_RELEASE);
	sdrv_evtchn_notify(a.p, a.port);
	cr_expect_eq(peer_state(&a, 1u << SDRV_XENBUS_CLOSING),
		     SDRV_XENBUS_CLOSING, "blkback gave up on that disk");
	cr_expect_gt(sdrv_xenbus_read_str(&a.dev.xb, true, "error", error,
					  sizeof(error)), 0);
	cr_expect(strstr(error, "ring"), "the reason names the ring: %s", error);
	cr_expect_eq(one(&b, rw(SDRV_BLKIF_OP_READ, 2, 0, g)), SDRV_BLKIF_RSP_OKAY,
		     "the guest's other disk is served on");
	front_disconnect(&a);
	front_disconnect(&b);
}

Test(blkback_hostile, a_frontend_that_never_takes_responses_or_leaves_mid_io)
{
	struct sdrv_blkif_request reqs[32];
	struct raw_front f;
	struct sdrv_sring *sring;
	void *page;
	sdrv_grant_ref_t g;
	int before;

	/* blkback's descriptors with no disk connected: the baseline. */
	for (int i = 0; i < 50 && !open_fds(blkback_pid); i++)
		usleep(20000);
	front_connect(&f, XVDA);
	front_disconnect(&f);
	before = open_fds(blkback_pid);
	front_connect(&f, XVDA);
	g = grant(&page, 0, false);
	for (unsigned i = 0; i < 32; i++)
		reqs[i] = rw(i % 2 ? SDRV_BLKIF_OP_WRITE : SDRV_BLKIF_OP_READ, i,
			     i * 8, g);
	ring_send(&f, reqs, 32); /* a full ring, never consumed */
	sring = f.ring.addr;
	for (int i = 0; i < 500 && __atomic_load_n(&sring->rsp_prod,
						   __ATOMIC_ACQUIRE) != 32; i++)
		usleep(10000);
	cr_expect_eq(sring->rsp_prod, 32,
		     "every request answered once, no more (rsp_prod %u)",
		     sring->rsp_prod);
	/* More requests than the ring has room for cannot be sent; going
	 * away with I/O in flight is allowed. */
	for (unsigned i = 0; i < 32; i++)
		reqs[i].id = 100 + i;
	front_disconnect(&f);
	front_connect(&f, XVDA);
	ring_send(&f, reqs, 32);
	front_disconnect(&f); /* straight away, the I/O in flight */
	for (int i = 0; i < 100 && open_fds(blkback_pid) != before; i++)
		usleep(20000);
	cr_expect_eq(open_fds(blkback_pid), before,
		     "blkback's descriptors back to their baseline");
	front_connect(&f, XVDA);
	cr_expect_eq(one(&f, rw(SDRV_BLKIF_OP_READ, 7, 0, g)), SDRV_BLKIF_RSP_OKAY,
		     "and it serves the next connection");
	front_disconnect(&f);
}

/* The handshake with one key the frontend wrote wrong: blkback must fail
 * that disk with a reason and take the next, honest, handshake. */
static void bad_handshake(const char *key, const char *value,
			  const char *reason)
{
	struct raw_front f;
	char error[128];
	void *page;
	sdrv_grant_ref_t g;

	memset(&f, 0, sizeof(f));
	guest_attach();
	f.p = guest;
	f.xs = guest_xs;
	f.dev.platform = guest;
	cr_assert_eq(sdrv_xenbus_attach(&f.dev.xb, guest_xs, false, 1, 0, "vbd",
				    XVDA), 0);
	cr_assert_eq(sdrv_xenbus_switch_state(&f.dev.xb,
					      SDRV_XENBUS_INITIALISING), 0);
	peer_state(&f, 1u << SDRV_XENBUS_INIT_WAIT);
	cr_assert_eq(sdrv_xenbus_grant_ring(&f.dev, 0, "", 0, &f.ring), 0);
	cr_assert_eq(sdrv_xenbus_alloc_evtchn(&f.dev, 0, "", "event-channel",
					      &f.port), 0);
	cr_assert_eq(sdrv_xenbus_write_str(&f.dev.xb, 0, key, value), 0);
	cr_assert_eq(sdrv_xenbus_switch_state(&f.dev.xb,
					      SDRV_XENBUS_INITIALISED), 0);
	cr_expect_eq(peer_state(&f, 1u << SDRV_XENBUS_CLOSING |
					    1u << SDRV_XENBUS_CONNECTED),
		     SDRV_XENBUS_CLOSING, "%s = %s: blkback gave up", key, value);
	cr_expect_gt(sdrv_xenbus_read_str(&f.dev.xb, true, "error", error,
					  sizeof(error)), 0);
	cr_expect(strstr(error, reason), "%s = %s: the reason says \"%s\": %s",
		  key, value, reason, error);
	sdrv_xenbus_remove_key(&f.dev.xb, 0, key);
	front_disconnect(&f);
	/* An honest frontend next. */
	front_connect(&f, XVDA);
	g = grant(&page, 0, false);
	cr_expect_eq(one(&f, rw(SDRV_BLKIF_OP_READ, 1, 0, g)),
		     SDRV_BLKIF_RSP_OKAY);
	front_disconnect(&f);
}

Test(blkback_hostile, handshake_keys_out_of_bounds_fail_that_disk_with_a_reason)
{
	bad_handshake("ring-page-order", "9", "ring-page-order");
	bad_handshake("multi-queue-num-queues", "1000000", "multi-queue");
	bad_handshake("protocol", "x86_32-abi", "protocol");
}

Test(blkback_hostile, a_ring_or_port_not_ours_fails_that_disk_with_a_reason)
{
	bad_handshake("ring-ref", "4000", "ring");
	bad_handshake("ring-ref", "banana", "ring-ref");
	bad_handshake("event-channel", "99999", "event channel");
}
