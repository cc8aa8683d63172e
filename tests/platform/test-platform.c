/* SPDX-License-Identifier: MIT */
/*
 * The platform seam's tests: one set of bodies, built once per environment
 * (env-inproc.c: hv-stub's core in this process; env-hvstub.c: a real
 * hv-stub daemon, this process attached as each domain).  Domain 0 is the
 * privileged backend side, domain 1 a guest ("U"), domain 2 another guest
 * ("V") that must stay unaffected by whatever U does.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "env.h"

static struct sdrv_platform *dom0, *domu, *domv;

static void setup(void)
{
	env_start();
	cr_assert_eq(env_create(1, 64, false), 0);
	cr_assert_eq(env_create(2, 64, false), 0);
	cr_assert_eq(env_attach(0, &dom0), 0);
	cr_assert_eq(env_attach(1, &domu), 0);
	cr_assert_eq(env_attach(2, &domv), 0);
}

static void teardown(void)
{
	sdrv_platform_detach(domv);
	sdrv_platform_detach(domu);
	sdrv_platform_detach(dom0);
	env_stop();
}

TestSuite(platform, .init = setup, .fini = teardown, .timeout = 60);

/* A page of @from granted to @to; its ref in *@ref. */
static unsigned char *granted_page(struct sdrv_platform *from, sdrv_domid_t to,
				   bool readonly, sdrv_grant_ref_t *ref)
{
	unsigned char *page = sdrv_page_alloc(from);
	int64_t r;

	cr_assert_not_null(page);
	r = sdrv_grant_access(from, to, page, readonly);
	cr_assert_geq(r, 0);
	*ref = (sdrv_grant_ref_t)r;
	return page;
}

static struct sdrv_grant_map map_one(struct sdrv_platform *p, sdrv_domid_t granter,
				     sdrv_grant_ref_t ref, bool readonly)
{
	struct sdrv_grant_map op = { .granter = granter, .ref = ref,
				     .readonly = readonly };

	sdrv_grant_map(p, &op, 1);
	return op;
}

/* Wait (up to 10 s) until @port of @p has an event; other ports are
 * consumed and ignored.  Return: whether it came. */
static bool wait_for(struct sdrv_platform *p, sdrv_evtchn_port_t port)
{
	sdrv_evtchn_port_t got[16];

	for (int tries = 0; tries < 1000; tries++) {
		int n = sdrv_evtchn_wait(p, got, 16, 10);

		cr_assert_geq(n, 0);
		for (int i = 0; i < n; i++)
			if (got[i] == port)
				return true;
	}
	return false;
}

/* An interdomain channel: @a offers, @b binds.  Ports out. */
static void connect_pair(struct sdrv_platform *a, struct sdrv_platform *b,
			 sdrv_evtchn_port_t *pa, sdrv_evtchn_port_t *pb)
{
	cr_assert_eq(sdrv_evtchn_alloc_unbound(a, sdrv_platform_domid(b), pa), 0);
	cr_assert_eq(sdrv_evtchn_bind_interdomain(b, sdrv_platform_domid(a), *pa, pb),
		     0);
	/* binding marks the binder's port pending once, as Xen does */
	cr_assert(wait_for(b, *pb));
}

/* ---- grants ---------------------------------------------------------- */

Test(platform, grant_map_shares_the_page)
{
	sdrv_grant_ref_t ref;
	unsigned char *page = granted_page(domu, 0, false, &ref);
	struct sdrv_grant_map op;

	memcpy(page, "from the guest", 15);
	op = map_one(dom0, 1, ref, false);
	cr_assert_eq(op.status, SDRV_GNTST_okay, "%s: map: %d", env_name, op.status);
	cr_assert_str_eq(op.addr, "from the guest");
	memcpy(op.addr, "from dom0", 10);
	cr_assert_str_eq((char *)page, "from dom0");
	cr_assert_eq(sdrv_grant_unmap(dom0, &op, 1), 0);
	cr_assert_eq(sdrv_grant_end_access(domu, ref), 0);
}

Test(platform, writes_through_readonly_grant_are_refused)
{
	sdrv_grant_ref_t ref;
	struct sdrv_grant_map op;

	granted_page(domu, 0, true, &ref);
	op = map_one(dom0, 1, ref, false);
	cr_assert_eq(op.status, SDRV_GNTST_permission_denied);
	op = map_one(dom0, 1, ref, true);
	cr_assert_eq(op.status, SDRV_GNTST_okay);
	cr_assert_eq(sdrv_grant_unmap(dom0, &op, 1), 0);
}

Test(platform, map_ref_beyond_table)
{
	struct sdrv_grant_map op = map_one(dom0, 1, 1u << 30, false);

	cr_assert_eq(op.status, SDRV_GNTST_bad_gntref);
	op = map_one(dom0, 1, SDRV_PLATFORM_GNTTAB_FRAMES *
				      SDRV_GRANT_ENTRIES_PER_FRAME, false);
	cr_assert_eq(op.status, SDRV_GNTST_bad_gntref);
}

Test(platform, map_grant_meant_for_another_domain)
{
	sdrv_grant_ref_t ref;
	struct sdrv_grant_map op;

	granted_page(domu, 2, false, &ref);
	op = map_one(dom0, 1, ref, false);
	cr_assert_eq(op.status, SDRV_GNTST_general_error);
	op = map_one(dom0, 60, ref, false); /* no such granter */
	cr_assert_eq(op.status, SDRV_GNTST_bad_domain);
}

Test(platform, end_access_while_mapped)
{
	sdrv_grant_ref_t ref;
	struct sdrv_grant_map op;

	granted_page(domu, 0, false, &ref);
	op = map_one(dom0, 1, ref, false);
	cr_assert_eq(op.status, SDRV_GNTST_okay);
	cr_assert_eq(sdrv_grant_end_access(domu, ref), -EBUSY);
	cr_assert_eq(sdrv_grant_unmap(dom0, &op, 1), 0);
	cr_assert_eq(sdrv_grant_end_access(domu, ref), 0);
}

Test(platform, unmap_what_is_not_mapped)
{
	struct sdrv_grant_map op = { .handle = 17 };

	cr_assert_eq(sdrv_grant_unmap(dom0, &op, 1), 1);
	cr_assert_eq(op.status, SDRV_GNTST_bad_handle);
	op.handle = 0xffffffffu;
	cr_assert_eq(sdrv_grant_unmap(dom0, &op, 1), 1);
	cr_assert_eq(op.status, SDRV_GNTST_bad_handle);
}

Test(platform, batched_map_and_unmap)
{
	struct sdrv_grant_map ops[40];
	unsigned char *pages[40];

	for (unsigned i = 0; i < 40; i++) {
		sdrv_grant_ref_t ref;

		pages[i] = granted_page(domu, 0, i % 2, &ref);
		pages[i][0] = (unsigned char)i;
		ops[i] = (struct sdrv_grant_map){ .granter = 1, .ref = ref,
						  .readonly = i % 2 };
	}
	cr_assert_eq(sdrv_grant_map(dom0, ops, 40), 0);
	for (unsigned i = 0; i < 40; i++)
		cr_assert_eq(((unsigned char *)ops[i].addr)[0], i);
	cr_assert_eq(sdrv_grant_unmap(dom0, ops, 40), 0);
}

/* A copy segment: @len bytes from our @page at @soff to grant @ref at @doff. */
static struct sdrv_gnttab_copy seg_to_gref(struct sdrv_platform *p, void *page,
					   uint16_t soff, sdrv_domid_t granter,
					   sdrv_grant_ref_t ref, uint16_t doff,
					   uint16_t len)
{
	return (struct sdrv_gnttab_copy){
		.source = { .u.gmfn = (uint32_t)sdrv_page_frame(p, page),
			    .domid = SDRV_DOMID_SELF, .offset = soff },
		.dest = { .u.ref = ref, .domid = granter, .offset = doff },
		.len = len,
		.flags = SDRV_GNTCOPY_dest_gref,
	};
}

Test(platform, grant_copy_both_directions)
{
	sdrv_grant_ref_t ref;
	unsigned char *guest = granted_page(domu, 0, false, &ref);
	unsigned char *mine = sdrv_page_alloc(dom0);
	struct sdrv_gnttab_copy seg;

	memset(mine, 0xab, SDRV_PAGE_SIZE);
	seg = seg_to_gref(dom0, mine, 0, 1, ref, 0, SDRV_PAGE_SIZE);
	cr_assert_eq(sdrv_grant_copy(dom0, &seg, 1), 0);
	cr_assert_eq(guest[4095], 0xab);
	/* and back, from the grant into our page */
	memset(guest, 0x11, 100);
	seg = (struct sdrv_gnttab_copy){
		.source = { .u.ref = ref, .domid = 1, .offset = 0 },
		.dest = { .u.gmfn = (uint32_t)sdrv_page_frame(dom0, mine),
			  .domid = SDRV_DOMID_SELF, .offset = 8 },
		.len = 100, .flags = SDRV_GNTCOPY_source_gref };
	cr_assert_eq(sdrv_grant_copy(dom0, &seg, 1), 0);
	cr_assert_eq(mine[8], 0x11);
	cr_assert_eq(mine[107], 0x11);
	cr_assert_eq(mine[108], 0xab);
}

Test(platform, copies_across_a_page_or_with_bad_offsets)
{
	sdrv_grant_ref_t ref;
	unsigned char *guest = granted_page(domu, 0, false, &ref);
	unsigned char *mine = sdrv_page_alloc(dom0);
	struct sdrv_gnttab_copy segs[4];

	segs[0] = seg_to_gref(dom0, mine, 4000, 1, ref, 0, 200); /* source crosses */
	segs[1] = seg_to_gref(dom0, mine, 0, 1, ref, 0xffff, 1); /* offset past page */
	segs[2] = seg_to_gref(dom0, mine, 0, 1, ref, 4095, 0xffff); /* length wraps */
	mine[0] = 0x5a;
	segs[3] = seg_to_gref(dom0, mine, 0, 1, ref, 0, 1); /* good */
	cr_assert_eq(sdrv_grant_copy(dom0, segs, 4), 3);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(segs[i].status, SDRV_GNTST_bad_copy_arg, "segment %d", i);
	cr_assert_eq(segs[3].status, SDRV_GNTST_okay);
	cr_assert_eq(guest[0], 0x5a);
}

/* ---- grant copy against a hostile granter -------------------------------
 * In the hv-stub environment domain 0 copies in its own process (the
 * backend fast path) and these run against it; in-process, against
 * hv-stub's core.  The checks are one implementation. */

/* The grant entry of @ref of @p, written as a hostile granter would (its
 * grant table is the first frames of its memory). */
static struct sdrv_grant_entry_v1 *entry_of(struct sdrv_platform *p,
					    unsigned char *any_page,
					    sdrv_grant_ref_t ref)
{
	unsigned char *mem = any_page -
			     (size_t)sdrv_page_frame(p, any_page) * SDRV_PAGE_SIZE;

	return (struct sdrv_grant_entry_v1 *)(void *)mem + ref;
}

struct flipper {
	struct sdrv_grant_entry_v1 *e;
	atomic_bool stop;
	atomic_uint flips;
};

/* The granter rewrites the entry's grantee between dom0 and domain 2. */
static void *flip_grantee(void *arg)
{
	struct flipper *f = arg;

	while (!atomic_load(&f->stop)) {
		__atomic_store_n(&f->e->domid, (sdrv_domid_t)2, __ATOMIC_RELEASE);
		__atomic_store_n(&f->e->domid, (sdrv_domid_t)0, __ATOMIC_RELEASE);
		atomic_fetch_add(&f->flips, 1);
	}
	return NULL;
}

Test(platform, copy_from_an_entry_the_granter_keeps_rewriting)
{
	sdrv_grant_ref_t ref;
	unsigned char *guest = granted_page(domu, 0, false, &ref);
	unsigned char *mine = sdrv_page_alloc(dom0);
	struct flipper f = { .e = entry_of(domu, guest, ref) };
	unsigned ok = 0, refused = 0;
	pthread_t t;

	memset(guest, 0x6d, SDRV_PAGE_SIZE);
	cr_assert_eq(pthread_create(&t, NULL, flip_grantee, &f), 0);
	while (atomic_load(&f.flips) == 0)
		sched_yield();
	for (int i = 0; i < 200000 && !(ok > 50 && refused > 50); i++) {
		struct sdrv_gnttab_copy seg = {
			.source = { .u.ref = ref, .domid = 1 },
			.dest = { .u.gmfn = (uint32_t)sdrv_page_frame(dom0, mine),
				  .domid = SDRV_DOMID_SELF },
			.len = 64, .flags = SDRV_GNTCOPY_source_gref };

		sdrv_grant_copy(dom0, &seg, 1);
		if (seg.status == SDRV_GNTST_okay) {
			ok++;
			cr_assert_eq(mine[63], 0x6d);
		} else {
			cr_assert(seg.status == SDRV_GNTST_general_error ||
					  seg.status == SDRV_GNTST_eagain,
				  "status %d", seg.status);
			refused++;
		}
	}
	atomic_store(&f.stop, true);
	pthread_join(t, NULL);
	cr_log_info("%s: %u copies, %u refused", env_name, ok, refused);
	cr_assert_gt(ok + refused, 0);
	cr_assert_not(__atomic_load_n(&f.e->flags, __ATOMIC_ACQUIRE) &
			      (SDRV_GTF_reading | SDRV_GTF_writing),
		      "no pin left behind");
	cr_assert_eq(sdrv_grant_end_access(domu, ref), 0);
}

struct copier {
	sdrv_grant_ref_t ref; /* the current grant; 0 while none */
	unsigned char *src;
	atomic_bool stop;
	atomic_uint copies;
};

/* dom0 writes 0xee over the guest's page, through whatever grant is current. */
static void *copy_in_loop(void *arg)
{
	struct copier *c = arg;

	while (!atomic_load(&c->stop)) {
		struct sdrv_gnttab_copy seg = seg_to_gref(
			dom0, c->src, 0, 1,
			__atomic_load_n(&c->ref, __ATOMIC_ACQUIRE), 0,
			SDRV_PAGE_SIZE);

		sdrv_grant_copy(dom0, &seg, 1);
		if (seg.status == SDRV_GNTST_okay)
			atomic_fetch_add(&c->copies, 1);
		sched_yield(); /* gaps for the granter to end access in */
	}
	return NULL;
}

Test(platform, no_copy_lands_after_the_granter_ended_access)
{
	sdrv_grant_ref_t ref;
	unsigned char *guest = granted_page(domu, 0, false, &ref);
	struct copier c = { .ref = ref, .src = sdrv_page_alloc(dom0) };
	unsigned ended = 0;
	pthread_t t;

	memset(c.src, 0xee, SDRV_PAGE_SIZE);
	cr_assert_eq(pthread_create(&t, NULL, copy_in_loop, &c), 0);
	while (atomic_load(&c.copies) == 0)
		sched_yield();
	/* End access whenever no copy holds the grant; then no copy may
	 * touch the page any more. */
	for (int round = 0; round < 1000000 &&
			    !(ended >= 100 && atomic_load(&c.copies) >= 1000);
	     round++) {
		int64_t r;

		if (round % 16 == 0)
			sched_yield(); /* let the copier at the grant */

		if (sdrv_grant_end_access(domu, ref) != 0)
			continue; /* a copy holds it: -EBUSY, as it must */
		ended++;
		memset(guest, 0, SDRV_PAGE_SIZE);
		for (volatile int spin = 0; spin < 2000; spin++)
			;
		for (unsigned i = 0; i < SDRV_PAGE_SIZE; i++)
			cr_assert_eq(guest[i], 0, "a copy wrote after end of access");
		r = sdrv_grant_access(domu, 0, guest, false);
		cr_assert_geq(r, 0);
		ref = (sdrv_grant_ref_t)r;
		__atomic_store_n(&c.ref, ref, __ATOMIC_RELEASE);
	}
	atomic_store(&c.stop, true);
	pthread_join(t, NULL);
	cr_log_info("%s: %u copies, access ended %u times", env_name,
		    atomic_load(&c.copies), ended);
	cr_assert_gt(ended, 0);
	cr_assert_gt(atomic_load(&c.copies), 1);
}

Test(platform, copies_with_refs_beyond_the_table_or_into_a_read_only_grant)
{
	sdrv_grant_ref_t ro;
	unsigned char *guest = granted_page(domu, 0, true, &ro);
	unsigned char *mine = sdrv_page_alloc(dom0);
	struct sdrv_gnttab_copy segs[3] = {
		seg_to_gref(dom0, mine, 0, 1,
			    SDRV_PLATFORM_GNTTAB_FRAMES * SDRV_GRANT_ENTRIES_PER_FRAME,
			    0, 8),
		seg_to_gref(dom0, mine, 0, 1, UINT32_MAX, 0, 8),
		seg_to_gref(dom0, mine, 0, 1, ro, 0, 8), /* write a r/o grant */
	};

	memset(mine, 0x99, SDRV_PAGE_SIZE);
	cr_assert_eq(sdrv_grant_copy(dom0, segs, 3), 3);
	cr_assert_eq(segs[0].status, SDRV_GNTST_bad_gntref);
	cr_assert_eq(segs[1].status, SDRV_GNTST_bad_gntref);
	cr_assert_eq(segs[2].status, SDRV_GNTST_permission_denied);
	cr_assert_eq(guest[0], 0, "the read-only page is unchanged");
	cr_assert_eq(sdrv_grant_end_access(domu, ro), 0);
}

struct doomed_copier {
	unsigned char *dst;
	sdrv_grant_ref_t ref;
	atomic_int outcome; /* 0 running, 1 saw the domain gone */
};

/* dom0 copies from domain 5's grant until domain 5 is gone. */
static void *copy_until_gone(void *arg)
{
	struct doomed_copier *c = arg;

	for (;;) {
		struct sdrv_gnttab_copy segs[16];

		for (int i = 0; i < 16; i++)
			segs[i] = (struct sdrv_gnttab_copy){
				.source = { .u.ref = c->ref, .domid = 5 },
				.dest = { .u.gmfn = (uint32_t)sdrv_page_frame(dom0, c->dst),
					  .domid = SDRV_DOMID_SELF },
				.len = SDRV_PAGE_SIZE,
				.flags = SDRV_GNTCOPY_source_gref };
		sdrv_grant_copy(dom0, segs, 16);
		if (segs[15].status == SDRV_GNTST_bad_domain) {
			atomic_store(&c->outcome, 1);
			return NULL;
		}
	}
}

Test(platform, the_granter_destroyed_mid_copy)
{
	for (int round = 0; round < 20; round++) {
		struct sdrv_platform *g;
		struct doomed_copier c = { .dst = sdrv_page_alloc(dom0) };
		pthread_t t;

		cr_assert_eq(env_create(5, 32, false), 0);
		cr_assert_eq(env_attach(5, &g), 0);
		granted_page(g, 0, true, &c.ref);
		cr_assert_eq(pthread_create(&t, NULL, copy_until_gone, &c), 0);
		usleep((useconds_t)(round % 5) * 200);
		env_kill(5, &g);
		pthread_join(t, NULL);
		cr_assert_eq(atomic_load(&c.outcome), 1);
		sdrv_page_free(dom0, c.dst);
	}
	/* domain 0 and the others carry on */
	cr_assert_eq(env_create(5, 32, false), 0);
}

/* ---- event channels -------------------------------------------------- */

Test(platform, notify_wakes_the_peer_both_ways)
{
	sdrv_evtchn_port_t pu, p0;
	sdrv_evtchn_port_t got[4];
	struct sdrv_evtchn_status st = { 0 };

	connect_pair(domu, dom0, &pu, &p0);
	cr_assert_eq(sdrv_evtchn_wait(dom0, got, 4, 0), 0, "nothing else pending");
	cr_assert_eq(sdrv_evtchn_notify(domu, pu), 0);
	cr_assert(wait_for(dom0, p0));
	cr_assert_eq(sdrv_evtchn_notify(dom0, p0), 0);
	cr_assert(wait_for(domu, pu));
	st.port = p0;
	cr_assert_eq(sdrv_evtchn_status(dom0, &st), 0);
	cr_assert_eq(st.status, SDRV_EVTCHNSTAT_interdomain);
	cr_assert_eq(st.u.interdomain.dom, 1);
	cr_assert_eq(st.u.interdomain.port, pu);
	cr_assert_geq(sdrv_evtchn_fd(dom0), 0);
}

Test(platform, bind_to_a_port_not_offered)
{
	sdrv_evtchn_port_t pu, p;

	cr_assert_eq(sdrv_evtchn_alloc_unbound(domu, 0, &pu), 0);
	/* V was not offered U's port */
	cr_assert_eq(sdrv_evtchn_bind_interdomain(domv, 1, pu, &p), -EINVAL);
	/* ports that are not there, closed, or past the 2-level space */
	cr_assert_eq(sdrv_evtchn_bind_interdomain(dom0, 1, pu + 1, &p), -EINVAL);
	cr_assert_eq(sdrv_evtchn_bind_interdomain(dom0, 1, 0, &p), -EINVAL);
	cr_assert_eq(sdrv_evtchn_bind_interdomain(dom0, 1, 1u << 31, &p), -EINVAL);
	cr_assert_eq(sdrv_evtchn_bind_interdomain(dom0, 63, 1, &p), -ESRCH);
	/* sending on, or closing, a port that is not ours */
	cr_assert_eq(sdrv_evtchn_notify(domv, pu), -EINVAL);
	cr_assert_eq(sdrv_evtchn_close(domv, pu), -EINVAL);
	cr_assert_eq(sdrv_evtchn_notify(domv, 5000), -EINVAL);
	/* the real peer still binds */
	cr_assert_eq(sdrv_evtchn_bind_interdomain(dom0, 1, pu, &p), 0);
}

Test(platform, exhausting_ports_hits_the_limit_alone)
{
	static sdrv_evtchn_port_t ports[SDRV_EVTCHN_2L_NR_PORTS];
	unsigned n = 0;
	int err;

	while ((err = sdrv_evtchn_alloc_unbound(domu, 0, &ports[n])) == 0)
		cr_assert_lt(++n, SDRV_EVTCHN_2L_NR_PORTS);
	cr_assert_eq(err, -ENOSPC);
	cr_assert_eq(n, 1023, "ports 1..1023 under the default limit");
	/* the others are not affected */
	cr_assert_eq(sdrv_evtchn_alloc_unbound(domv, 0, &ports[n]), 0);
	/* a closed port is reusable */
	cr_assert_eq(sdrv_evtchn_close(domu, ports[10]), 0);
	cr_assert_eq(sdrv_evtchn_alloc_unbound(domu, 0, &ports[10]), 0);
}

Test(platform, a_flood_of_events_costs_one_wakeup)
{
	sdrv_evtchn_port_t pu, p0, got[8];
	struct pollfd wake = { .fd = sdrv_evtchn_fd(dom0), .events = POLLIN };

	connect_pair(domu, dom0, &pu, &p0);
	/* what the bind left to wake for is taken */
	cr_assert_eq(sdrv_evtchn_wait(dom0, got, 8, 0), 0);
	cr_assert_eq(poll(&wake, 1, 0), 0);
	for (int i = 0; i < 20000; i++)
		cr_assert_eq(sdrv_evtchn_notify(domu, pu), 0);
	/* 20000 events: dom0's wake-up fd is ready ... */
	cr_assert_eq(poll(&wake, 1, 1000), 1);
	/* ... for one pending port, handled once ... */
	cr_assert_eq(sdrv_evtchn_wait(dom0, got, 8, 1000), 1);
	cr_assert_eq(got[0], p0);
	/* ... and nothing is left to wake it but, in-process, the one
	 * upcall write the scan got ahead of (a wait that finds nothing
	 * reads it) */
	cr_assert_eq(sdrv_evtchn_wait(dom0, got, 8, 0), 0);
	cr_assert_eq(poll(&wake, 1, 0), 0, "%s: another wake-up", env_name);
}

struct flood {
	struct sdrv_platform *p;
	sdrv_evtchn_port_t port;
	atomic_bool stop, failed;
	atomic_long sent;
};

static void *flooder(void *arg)
{
	struct flood *f = arg;

	while (!atomic_load(&f->stop)) {
		/* no assertion off the test's thread: record, stop */
		if (sdrv_evtchn_notify(f->p, f->port)) {
			atomic_store(&f->failed, true);
			break;
		}
		atomic_fetch_add(&f->sent, 1);
	}
	return NULL;
}

Test(platform, a_flooding_domain_does_not_starve_others)
{
	struct flood f = { .p = domu };
	sdrv_evtchn_port_t p0u, pv, p0v;
	pthread_t t;
	long before;
	bool ok = true;
	int rounds = 0;

	connect_pair(domu, dom0, &f.port, &p0u);
	connect_pair(domv, dom0, &pv, &p0v);
	pthread_create(&t, NULL, flooder, &f);
	while (atomic_load(&f.sent) < 1000 && !atomic_load(&f.failed))
		sched_yield();
	before = atomic_load(&f.sent);
	/* V and dom0 keep talking while U floods dom0: 200 round trips at
	 * least, and until the flood has gone on meanwhile (so the two did
	 * overlap, whatever the scheduler did). */
	for (int i = 0; ok && !atomic_load(&f.failed) &&
			(i < 200 || atomic_load(&f.sent) < before + 1000);
	     i++) {
		ok = sdrv_evtchn_notify(domv, pv) == 0 && wait_for(dom0, p0v) &&
		     sdrv_evtchn_notify(dom0, p0v) == 0 && wait_for(domv, pv);
		rounds = i + 1;
	}
	atomic_store(&f.stop, true);
	pthread_join(t, NULL);
	cr_assert(!atomic_load(&f.failed), "the flooder's notify failed");
	cr_assert(ok, "round %d starved by the flood", rounds);
}

#define TICK_PORTS 150

struct ticker {
	struct sdrv_platform *p;
	sdrv_evtchn_port_t ports[TICK_PORTS];
	atomic_bool stop, failed;
	atomic_int sent;
};

/* Signals each of its ports once, 10 ms apart, unless told to stop; then
 * says it is done.  A port already pending does not wake its domain again,
 * so each tick is a fresh wake-up. */
static void *ticker(void *arg)
{
	struct ticker *t = arg;

	for (int i = 0; i < TICK_PORTS && !atomic_load(&t->stop); i++) {
		if (sdrv_evtchn_notify(t->p, t->ports[i])) {
			atomic_store(&t->failed, true);
			break;
		}
		atomic_fetch_add(&t->sent, 1);
		usleep(10000);
	}
	atomic_store(&t->stop, true);
	return NULL;
}

Test(platform, a_wait_times_out_at_its_deadline_under_unrelated_events)
{
	static struct ticker t;
	sdrv_evtchn_port_t quiet_u, quiet_0, busy_u[TICK_PORTS], got[16];
	pthread_t thread;
	int r;

	t = (struct ticker){ .p = dom0 };
	/* domU waits on a quiet port while dom0 signals others */
	connect_pair(domu, dom0, &quiet_u, &quiet_0);
	for (int i = 0; i < TICK_PORTS; i++)
		connect_pair(domu, dom0, &busy_u[i], &t.ports[i]);
	pthread_create(&thread, NULL, ticker, &t);
	while (atomic_load(&t.sent) < 2 && !atomic_load(&t.stop))
		sched_yield();
	r = sdrv_evtchn_wait_port(domu, quiet_u, 300);
	/* each unrelated wake-up used to restart the 300 ms: the wait then
	 * ended only after the ticker ran out of ports (1.5 s) */
	cr_assert(!atomic_load(&t.stop),
		  "the 300 ms wait outlasted %d unrelated events",
		  atomic_load(&t.sent));
	atomic_store(&t.stop, true);
	pthread_join(thread, NULL);
	cr_assert_eq(r, 0, "wait_port gave %d, not a timeout", r);
	cr_assert(!atomic_load(&t.failed));
	/* the other ports' events were left for sdrv_evtchn_wait() */
	cr_assert_gt(sdrv_evtchn_wait(domu, got, 16, 1000), 0);
}

Test(platform, a_wait_on_several_ports_takes_theirs_and_leaves_the_rest)
{
	sdrv_evtchn_port_t u[3], z[3], got[4];

	/* domU waits on its first two ports; dom0 signals the second and
	 * the third */
	for (int i = 0; i < 3; i++)
		connect_pair(domu, dom0, &u[i], &z[i]);
	cr_assert_eq(sdrv_evtchn_wait_ports(domu, u, 2, 0), 0,
		     "no event yet, no wait");
	cr_assert_eq(sdrv_evtchn_notify(dom0, z[1]), 0);
	cr_assert_eq(sdrv_evtchn_notify(dom0, z[2]), 0);
	cr_assert_eq(sdrv_evtchn_wait_ports(domu, u, 2, 1000), 1);
	/* its pending bit is cleared: nothing more on those two */
	cr_assert_eq(sdrv_evtchn_wait_ports(domu, u, 2, 0), 0);
	/* the third port's event was left for sdrv_evtchn_wait() */
	cr_assert_eq(sdrv_evtchn_wait(domu, got, 4, 1000), 1);
	cr_assert_eq(got[0], u[2]);
	cr_assert_eq(sdrv_evtchn_wait_ports(domu, u, 0, 0), -EINVAL);
	cr_assert_eq(sdrv_evtchn_wait_ports(domu, u, SDRV_EVTCHN_WAIT_PORTS_MAX + 1, 0),
		     -EINVAL);
}

Test(platform, masked_port_keeps_its_event_until_unmasked)
{
	sdrv_evtchn_port_t pu, p0, got[4];

	connect_pair(domu, dom0, &pu, &p0);
	sdrv_evtchn_mask(dom0, p0);
	cr_assert_eq(sdrv_evtchn_notify(domu, pu), 0);
	cr_assert_eq(sdrv_evtchn_wait(dom0, got, 4, 50), 0);
	sdrv_evtchn_unmask(dom0, p0);
	cr_assert_eq(sdrv_evtchn_wait(dom0, got, 4, 1000), 1);
	cr_assert_eq(got[0], p0);
}

Test(platform, close_is_seen_by_the_peer)
{
	sdrv_evtchn_port_t pu, p0;
	struct sdrv_evtchn_status st = { 0 };

	connect_pair(domu, dom0, &pu, &p0);
	cr_assert_eq(sdrv_evtchn_close(domu, pu), 0);
	cr_assert(wait_for(dom0, p0));
	st.port = p0;
	cr_assert_eq(sdrv_evtchn_status(dom0, &st), 0);
	cr_assert_eq(st.status, SDRV_EVTCHNSTAT_unbound);
	cr_assert_eq(st.u.unbound.dom, 1);
	cr_assert_eq(sdrv_evtchn_notify(dom0, p0), 0, "sending to no one is dropped");
}

Test(platform, a_guest_scribbling_on_its_event_bitmaps_hurts_only_itself)
{
	sdrv_evtchn_port_t pu, p0, pv, p0v, got[16];
	/* the shared-info page: the guest's own memory, frame 4 */
	unsigned char *shinfo = (unsigned char *)sdrv_frame_page(domu,
		SDRV_PLATFORM_FIRST_FREE_FRAME) - SDRV_PAGE_SIZE;
	int n;

	connect_pair(domu, dom0, &pu, &p0);
	connect_pair(domv, dom0, &pv, &p0v);
	memset(shinfo, 0xff, SDRV_PAGE_SIZE); /* every bit: pending, masked, all */
	cr_assert_eq(sdrv_evtchn_notify(domv, pv), 0);
	cr_assert_eq(sdrv_evtchn_notify(domu, pu), 0); /* sends still checked */
	cr_assert(wait_for(dom0, p0v));
	/* its own scans return garbage ports, but a bounded number of them */
	n = sdrv_evtchn_wait(domu, got, 16, 0);
	cr_assert_geq(n, 0);
	cr_assert_leq(n, 16);
	memset(shinfo, 0, SDRV_PAGE_SIZE);
	cr_assert_eq(sdrv_evtchn_notify(dom0, p0), 0);
	cr_assert(wait_for(domu, pu), "the guest recovers once its page is sane");
}

/* ---- domains coming and going ---------------------------------------- */

Test(platform, a_domain_disappearing_mid_operation)
{
	sdrv_grant_ref_t ref;
	sdrv_evtchn_port_t pu, p0, pv, p0v;
	struct sdrv_evtchn_status st = { 0 };
	struct sdrv_grant_map op;
	unsigned char *page = granted_page(domu, 0, false, &ref);

	page[0] = 42;
	op = map_one(dom0, 1, ref, false);
	cr_assert_eq(op.status, SDRV_GNTST_okay);
	connect_pair(domu, dom0, &pu, &p0);
	env_kill(1, &domu);
	/* dom0 sees the channel close; its mapping stays valid until unmapped */
	cr_assert(wait_for(dom0, p0));
	st.port = p0;
	cr_assert_eq(sdrv_evtchn_status(dom0, &st), 0);
	cr_assert_eq(st.status, SDRV_EVTCHNSTAT_unbound);
	cr_assert_eq(((unsigned char *)op.addr)[0], 42);
	cr_assert_eq(sdrv_grant_unmap(dom0, &op, 1), 0);
	/* new operations on the dead domain fail; V goes on */
	op = map_one(dom0, 1, ref, false);
	cr_assert_eq(op.status, SDRV_GNTST_bad_domain);
	connect_pair(domv, dom0, &pv, &p0v);
	cr_assert_eq(sdrv_evtchn_notify(domv, pv), 0);
	cr_assert(wait_for(dom0, p0v));
}

/* One guest's whole life: created, attached, shares and signals, gone. */
static void guest_lifecycle(sdrv_domid_t id)
{
	struct sdrv_platform *g;
	sdrv_grant_ref_t ref;
	sdrv_evtchn_port_t pg, p0;
	struct sdrv_grant_map op;

	cr_assert_eq(env_create(id, 32, false), 0);
	cr_assert_eq(env_attach(id, &g), 0);
	granted_page(g, 0, false, &ref);
	op = map_one(dom0, id, ref, false);
	cr_assert_eq(op.status, SDRV_GNTST_okay);
	connect_pair(g, dom0, &pg, &p0);
	cr_assert_eq(sdrv_evtchn_notify(g, pg), 0);
	cr_assert(wait_for(dom0, p0));
	cr_assert_eq(sdrv_grant_unmap(dom0, &op, 1), 0);
	env_kill(id, &g);
	cr_assert(wait_for(dom0, p0));
	cr_assert_eq(sdrv_evtchn_close(dom0, p0), 0);
}

Test(platform, nothing_leaks_across_domain_lifetimes)
{
	long before;

	guest_lifecycle(5); /* first use may set up lasting things (caches) */
	before = env_resources();
	cr_assert_gt(before, 0);
	for (int i = 0; i < 5; i++)
		guest_lifecycle(5);
	cr_assert_eq(env_resources(), before, "%s: fds+mappings %ld -> %ld",
		     env_name, before, env_resources());
}

/* ---- event storms: late EOI ------------------------------------------- */

struct flooder {
	struct sdrv_platform *p;
	sdrv_evtchn_port_t port;
	atomic_bool stop;
	atomic_ulong sent;
};

static void *flood(void *arg)
{
	struct flooder *f = arg;

	while (!atomic_load(&f->stop)) {
		sdrv_evtchn_notify(f->p, f->port);
		atomic_fetch_add(&f->sent, 1);
	}
	return NULL;
}

static uint64_t thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

Test(platform, an_idle_receiver_under_a_flood_is_held_back, .timeout = 60)
{
	struct flooder f = { .p = domu };
	sdrv_evtchn_port_t p0, got[8];
	unsigned wakeups = 0;
	uint64_t start, cpu0, cpu;
	pthread_t t;
	bool again = false;

	connect_pair(domu, dom0, &f.port, &p0);
	cr_assert_eq(pthread_create(&t, NULL, flood, &f), 0);
	/* One second of a guest notifying as fast as it can a backend that
	 * finds nothing to do each time it looks. */
	start = sdrv_platform_clock_ms(dom0);
	cpu0 = thread_cpu_ms();
	while (sdrv_platform_clock_ms(dom0) - start < 1000) {
		int n = sdrv_evtchn_wait(dom0, got, 8, 100);

		cr_assert_geq(n, 0);
		for (int i = 0; i < n; i++)
			if (got[i] == p0) {
				wakeups++;
				sdrv_evtchn_lateeoi(dom0, p0, true);
			}
	}
	cpu = thread_cpu_ms() - cpu0;
	atomic_store(&f.stop, true);
	pthread_join(t, NULL);
	cr_log_info("%s: %lu notifies in 1 s woke the receiver %u times, %llu ms of its CPU",
		    env_name, atomic_load(&f.sent), wakeups,
		    (unsigned long long)cpu);
	/* without late EOI: one wake-up per notify the receiver gets to */
	cr_assert_gt(atomic_load(&f.sent), 1000);
	cr_assert_leq(wakeups, 40, "%s: %u wake-ups in 1 s", env_name, wakeups);
	/* once it has work again, the port still delivers (within the
	 * longest hold) and is no longer held back */
	for (int tries = 0; tries < 3 && !again; tries++) {
		cr_assert_eq(sdrv_evtchn_notify(domu, f.port), 0);
		again = wait_for(dom0, p0);
	}
	cr_assert(again, "the port delivers after the flood");
	sdrv_evtchn_lateeoi(dom0, p0, false);
	cr_assert_eq(sdrv_evtchn_notify(domu, f.port), 0);
	cr_assert_eq(sdrv_evtchn_wait(dom0, got, 8, 1000), 1);
}

Test(platform, a_channel_bound_anew_rings_its_new_peer)
{
	sdrv_evtchn_port_t pu, p0, p0b;

	/* The guest offers, dom0 binds, both notify; dom0 closes and binds
	 * again: the guest's next notify must reach the new binding, not
	 * the old one's doorbell. */
	connect_pair(domu, dom0, &pu, &p0);
	cr_assert_eq(sdrv_evtchn_notify(domu, pu), 0);
	cr_assert(wait_for(dom0, p0));
	cr_assert_eq(sdrv_evtchn_close(dom0, p0), 0);
	cr_assert(wait_for(domu, pu), "the guest sees the close");
	cr_assert_eq(sdrv_evtchn_bind_interdomain(dom0, 1, pu, &p0b), 0);
	cr_assert(wait_for(dom0, p0b)); /* the bind's own event */
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(sdrv_evtchn_notify(domu, pu), 0);
		cr_assert(wait_for(dom0, p0b), "round %d: the new peer rung", i);
		cr_assert_eq(sdrv_evtchn_notify(dom0, p0b), 0);
		cr_assert(wait_for(domu, pu), "round %d: and back", i);
	}
	/* a send on a port whose peer went is dropped, as Xen drops it */
	cr_assert_eq(sdrv_evtchn_close(dom0, p0b), 0);
	cr_assert(wait_for(domu, pu));
	cr_assert_eq(sdrv_evtchn_notify(domu, pu), 0);
}

/* Hold @port of dom0 back: two spurious events in a row. */
static void hold_back(sdrv_evtchn_port_t pu, sdrv_evtchn_port_t p0)
{
	for (unsigned i = 0; i < SDRV_EVTCHN_SPURIOUS_THRESHOLD; i++) {
		cr_assert_eq(sdrv_evtchn_notify(domu, pu), 0);
		cr_assert(wait_for(dom0, p0));
		sdrv_evtchn_lateeoi(dom0, p0, true);
	}
	cr_assert_geq(sdrv_evtchn_timeout_ms(dom0), 0, "the port is held");
}

Test(platform, a_port_closed_while_held_back_is_bound_again_afresh)
{
	sdrv_evtchn_port_t pu, p0, pu2, p0b;

	connect_pair(domu, dom0, &pu, &p0);
	hold_back(pu, p0);
	/* A hold belongs to its binding: closed and bound again (the
	 * same port number comes back), the new channel wakes at once. */
	cr_assert_eq(sdrv_evtchn_close(dom0, p0), 0);
	cr_assert_eq(sdrv_evtchn_timeout_ms(dom0), -1, "nothing held any more");
	cr_assert(wait_for(domu, pu));
	cr_assert_eq(sdrv_evtchn_close(domu, pu), 0);
	connect_pair(domu, dom0, &pu2, &p0b);
	cr_assert_eq(p0b, p0, "the port number is reused (else this test is moot)");
	cr_assert_eq(sdrv_evtchn_notify(domu, pu2), 0);
	cr_assert(wait_for(dom0, p0b), "the new binding is not held back");
}

Test(platform, an_outside_event_loop_learns_when_a_held_port_is_let_go)
{
	sdrv_evtchn_port_t pu, p0, got[4];
	struct pollfd pfd = { .fd = sdrv_evtchn_fd(dom0), .events = POLLIN };
	int ms, n = 0;

	connect_pair(domu, dom0, &pu, &p0);
	hold_back(pu, p0);
	/* An event for the held port waits for the hold to end; a loop
	 * polling the descriptor itself sleeps no longer than it says. */
	cr_assert_eq(sdrv_evtchn_notify(domu, pu), 0);
	for (int i = 0; i < 100 && n == 0; i++) {
		ms = sdrv_evtchn_timeout_ms(dom0);
		cr_assert_leq(ms, (int)SDRV_EVTCHN_SPURIOUS_MAX_MS);
		if (poll(&pfd, 1, ms < 0 ? 100 : ms) < 0)
			break;
		n = sdrv_evtchn_wait(dom0, got, 4, 0);
	}
	cr_assert_eq(n, 1, "the held event came once the hold ended");
	cr_assert_eq(got[0], p0);
	cr_assert_eq(sdrv_evtchn_timeout_ms(dom0), -1, "nothing held any more");
}
