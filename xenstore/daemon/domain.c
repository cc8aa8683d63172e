/* SPDX-License-Identifier: MIT */
/*
 * Guests: INTRODUCE maps the domain's ring page (the grant the toolstack
 * put at SDRV_XS_RESERVED_GREF) and binds its event channel; the ring is
 * then one more connection, fed from the page.
 *
 * The page is the guest's: every index is read once, checked (at most a
 * ring's worth outstanding) and never trusted beyond that.  We keep our
 * own copies of the two indices we own (req_cons, rsp_prod) and only
 * publish them.  A guest whose indices are impossible gets error
 * RINGIDX on its page and is disconnected alone, as Xen's daemon does.
 * A guest that sets connection = RECONNECT gets a fresh connection.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xsd_internal.h"

struct domain *domain_find(struct xsd *d, uint16_t domid)
{
	for (struct domain *dom = d->domains; dom; dom = dom->next)
		if (dom->domid == domid)
			return dom;
	return NULL;
}

static void fire_special(struct xsd *d, const char *name)
{
	const struct xs_node *n = xs_get((struct xs_view){ &d->store, NULL },
					 name, strlen(name));

	if (n)
		watch_fire(d, name, n->perms, n->nr_perms, NULL, 0);
}

/* The domain lets go of its connection; settle() frees it (it may sit in
 * this turn's dirty list). */
static void detach_conn(struct domain *dom, const char *why)
{
	struct conn *c = dom->conn;

	if (!c)
		return;
	c->domain = NULL;
	dom->conn = NULL;
	conn_kill(c, why);
}

static int attach_conn(struct xsd *d, struct domain *dom)
{
	dom->conn = conn_new(d, -1, dom->domid, false);
	if (!dom->conn)
		return -ENOMEM;
	dom->conn->domain = dom;
	dom->req_cons = __atomic_load_n(&dom->page->req_cons, __ATOMIC_ACQUIRE);
	dom->rsp_prod = __atomic_load_n(&dom->page->rsp_prod, __ATOMIC_ACQUIRE);
	return 0;
}

int domain_introduce(struct xsd *d, uint16_t domid, uint64_t frame,
		     uint32_t port)
{
	struct sdrv_platform *p = d->cfg.platform;
	struct domain *dom = domain_find(d, domid);
	int err;

	if (dom) /* Xen: introducing twice is fine if nothing changed */
		return dom->frame == frame && dom->remote_port == port ? 0
									: -EEXIST;
	if (!p)
		return -ENOSYS; /* no hypervisor to map guests' pages */
	dom = calloc(1, sizeof(*dom));
	if (!dom)
		return -ENOMEM;
	dom->domid = domid;
	dom->frame = frame;
	dom->remote_port = port;
	dom->map.granter = domid;
	dom->map.ref = SDRV_XS_RESERVED_GREF;
	if (sdrv_grant_map(p, &dom->map, 1)) {
		XSD_LOG(d, "domain %u: ring page (grant %u) not mappable: %d",
			domid, SDRV_XS_RESERVED_GREF, dom->map.status);
		free(dom);
		return -EINVAL;
	}
	dom->page = dom->map.addr;
	err = sdrv_evtchn_bind_interdomain(p, domid, port, &dom->local_port);
	if (err) {
		XSD_LOG(d, "domain %u: event channel %u not bindable: %d",
			domid, port, err);
		sdrv_grant_unmap(p, &dom->map, 1);
		free(dom);
		return -EINVAL;
	}
	err = attach_conn(d, dom);
	if (err) {
		sdrv_evtchn_close(p, dom->local_port);
		sdrv_grant_unmap(p, &dom->map, 1);
		free(dom);
		return err;
	}
	__atomic_store_n(&dom->page->server_features,
			 SDRV_XS_SERVER_FEATURE_RECONNECTION |
				 SDRV_XS_SERVER_FEATURE_ERROR,
			 __ATOMIC_RELAXED);
	dom->next = d->domains;
	d->domains = dom;
	XSD_LOG(d, "domain %u introduced (port %u)", domid, port);
	fire_special(d, "@introduceDomain");
	/* The guest may have written before we bound the channel. */
	domain_poll_all(d);
	return 0;
}

void domain_release(struct xsd *d, struct domain *dom)
{
	for (struct domain **pp = &d->domains; *pp; pp = &(*pp)->next)
		if (*pp == dom) {
			*pp = dom->next;
			break;
		}
	if (d->poll_start == dom)
		d->poll_start = NULL;
	detach_conn(dom, "domain released");
	sdrv_evtchn_close(d->cfg.platform, dom->local_port);
	sdrv_grant_unmap(d->cfg.platform, &dom->map, 1);
	/* A new domain given this id must find nothing of this one's. */
	if (xs_store_disown(&d->store, dom->domid))
		xsd_log("domain %u released, but out of memory while handing its nodes to domain 0",
			dom->domid);
	XSD_LOG(d, "domain %u released", dom->domid);
	free(dom);
	fire_special(d, "@releaseDomain");
}

/* The guest misbehaved: tell it why, stop serving it. */
static void domain_fail(struct domain *dom, uint32_t error, const char *why)
{
	__atomic_store_n(&dom->page->error, error, __ATOMIC_RELAXED);
	if (dom->conn)
		conn_kill(dom->conn, why);
}

void domain_flush(struct domain *dom)
{
	struct conn *c = dom->conn;
	struct sdrv_xs_ring_page *pg = dom->page;
	bool sent = false;
	uint32_t cons;

	if (!c || c->dead)
		return;
	/* pairs with the guest's release after it consumed replies */
	cons = __atomic_load_n(&pg->rsp_cons, __ATOMIC_ACQUIRE);
	if (dom->rsp_prod - cons > SDRV_XS_RING_SIZE) {
		domain_fail(dom, SDRV_XS_ERROR_RINGIDX, "response index out of range");
		return;
	}
	while (c->out_head && dom->rsp_prod - cons < SDRV_XS_RING_SIZE) {
		struct outmsg *m = c->out_head;
		uint32_t space = SDRV_XS_RING_SIZE - (dom->rsp_prod - cons);
		uint32_t at = SDRV_XS_RING_MASK(dom->rsp_prod);
		uint32_t n = SDRV_XS_RING_SIZE - at;

		if (n > space)
			n = space;
		if (n > m->len - c->out_off)
			n = (uint32_t)(m->len - c->out_off);
		memcpy(pg->rsp + at, m->data + c->out_off, n);
		dom->rsp_prod += n;
		sent = true;
		conn_sent(c, n);
	}
	if (sent) {
		/* pairs with the guest's acquire of rsp_prod */
		__atomic_store_n(&pg->rsp_prod, dom->rsp_prod, __ATOMIC_RELEASE);
		sdrv_evtchn_notify(c->d->cfg.platform, dom->local_port);
	}
	if (!c->out_head)
		conn_output_drained(c);
}

static void domain_reconnect(struct xsd *d, struct domain *dom)
{
	struct sdrv_xs_ring_page *pg = dom->page;

	detach_conn(dom, "the guest asked to reconnect");
	pg->req_cons = pg->req_prod = 0;
	pg->rsp_cons = pg->rsp_prod = 0;
	pg->error = SDRV_XS_ERROR_NONE;
	if (attach_conn(d, dom))
		return;
	__atomic_store_n(&pg->connection, SDRV_XS_CONNECTED, __ATOMIC_RELEASE);
	sdrv_evtchn_notify(d->cfg.platform, dom->local_port);
}

/* Take what the guest wrote.  Return: whether anything was consumed. */
static bool domain_read(struct domain *dom)
{
	struct sdrv_xs_ring_page *pg = dom->page;
	struct conn *c = dom->conn;
	uint32_t prod;
	bool took = false;

	if (!c || c->dead)
		return false;
	/* A request held by the write rate limit goes first. */
	if (c->in_ready) {
		conn_feed(c, NULL, 0);
		took = !c->in_ready;
	}
	/* pairs with the guest's release of req_prod */
	prod = __atomic_load_n(&pg->req_prod, __ATOMIC_ACQUIRE);
	if (prod - dom->req_cons > SDRV_XS_RING_SIZE) {
		domain_fail(dom, SDRV_XS_ERROR_RINGIDX, "request index out of range");
		return false;
	}
	while (dom->req_cons != prod && conn_can_read(c)) {
		char chunk[SDRV_XS_RING_SIZE];
		uint32_t at = SDRV_XS_RING_MASK(dom->req_cons);
		uint32_t n = SDRV_XS_RING_SIZE - at;
		size_t used;

		if (n > prod - dom->req_cons)
			n = prod - dom->req_cons;
		/* Copy out once; the guest may rewrite the ring meanwhile. */
		memcpy(chunk, pg->req + at, n);
		sdrv_compiler_barrier();
		used = conn_feed(c, chunk, n);
		dom->req_cons += (uint32_t)used;
		took = took || used;
		if (used < n || c->dead)
			break;
	}
	if (took)
		/* pairs with the guest's acquire of req_cons */
		__atomic_store_n(&pg->req_cons, dom->req_cons, __ATOMIC_RELEASE);
	if (c->dead && __atomic_load_n(&pg->error, __ATOMIC_RELAXED) == 0)
		__atomic_store_n(&pg->error, SDRV_XS_ERROR_PROTO,
				 __ATOMIC_RELAXED);
	return took;
}

/* The domain after @dom in the ring of domains. */
static struct domain *next_in_turn(struct xsd *d, struct domain *dom)
{
	return dom->next ? dom->next : d->domains;
}

/* Rounds of one request per guest that one call serves at most: guests
 * that keep writing cannot hold the loop (sockets, timers) for long. */
#define POLL_ROUNDS 64

bool domain_poll_all(struct xsd *d)
{
	struct domain *start, *dom;
	unsigned rounds = 0;
	bool any;

	if (!d->domains)
		return false;
	for (dom = d->domains; dom; dom = dom->next) {
		if (__atomic_load_n(&dom->page->connection, __ATOMIC_ACQUIRE) ==
		    SDRV_XS_RECONNECT)
			domain_reconnect(d, dom);
		dom->took = false;
		/* credit earned since: a held write may go now */
		if (dom->conn && dom->conn->throttled)
			conn_throttle_left(dom->conn, xsd_now_ms());
	}
	/* One request per guest in turn, until no ring has any left (or
	 * every guest is held by its output bound or write rate), starting
	 * one guest further each time: no guest is served first always. */
	start = d->poll_start ? d->poll_start : d->domains;
	d->poll_start = next_in_turn(d, start);
	do {
		any = false;
		dom = start;
		do {
			if (dom->conn) {
				dom->conn->feed_budget = 1;
				if (domain_read(dom)) {
					dom->took = true;
					any = true;
				}
				if (dom->conn)
					dom->conn->feed_budget = UINT32_MAX;
			}
			dom = next_in_turn(d, dom);
		} while (dom != start);
	} while (any && ++rounds < POLL_ROUNDS);
	/* Answers in the same turn order: the guest woken first sends its
	 * next request first. */
	dom = start;
	do {
		if (dom->took && dom->conn)
			sdrv_evtchn_notify(d->cfg.platform, dom->local_port);
		domain_flush(dom);
		dom = next_in_turn(d, dom);
	} while (dom != start);
	return any;
}

int domain_next_wakeup_ms(struct xsd *d)
{
	uint64_t now = xsd_now_ms(), best = UINT64_MAX;

	for (struct domain *dom = d->domains; dom; dom = dom->next) {
		uint64_t left;

		if (!dom->conn || !dom->conn->throttled)
			continue;
		left = conn_throttle_left(dom->conn, now);
		if (left < best)
			best = left;
	}
	return best == UINT64_MAX ? -1 : best > 1000 ? 1000 : (int)best;
}
