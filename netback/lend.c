/* SPDX-License-Identifier: MIT */
/*
 * Transmit frames lent, not copied (see netback.h): the guest's page,
 * held, becomes an mbuf's external buffer; when the last reference to the
 * mbuf goes, on any lcore, the loan comes back through its queue's return
 * ring and the queue's worker lets the grant go and answers the request.
 *
 * Who touches what: a queue's worker makes loans and reaps them (the free
 * list, the count out); whoever frees a loan's mbuf only puts the loan on
 * the return ring (multi-producer) and wakes that worker.  When the queue
 * goes, the main lcore takes the loans still out (the world lock keeps
 * the worker away) and reaps them as they come back.
 */
#include "netback.h"

#include <stdio.h>
#include <stdlib.h>

struct nb_loan {
	/* Its free_cb brings the loan back; the mbuf's refcount is the
	 * mbuf's, this one's the buffer's (clones share it). */
	struct rte_mbuf_ext_shared_info shinfo;
	struct sdrv_grant_hold hold;
	struct nb_loans *home;
	uint16_t id; /* the transmit request it answers */
	bool copied; /* some holder copied it (nb_loan_settle()) */
};

struct nb_loans {
	struct rte_ring *back; /* loans come back here, from any lcore */
	struct sdrv_platform *platform;
	/* Its queue's ring, answered on, and counters; NULL once orphaned. */
	struct sdrv_ring_back *tx;
	struct nb_stats *stats;
	unsigned worker; /* woken when a loan comes back (atomic) */
	unsigned out; /* lent and not yet reaped */
	unsigned nr_free;
	uint16_t free[NB_LOANS];
	struct nb_loans *next_orphan;
	struct nb_loan loan[NB_LOANS];
};

/* Loans of queues gone (the main lcore's). */
static struct nb_loans *orphans;
/* Headers only: the data is the guest's page. */
static struct rte_mempool *loan_pool;
/* A return ring fits every loan (a power of two above NB_LOANS). */
#define BACK_SIZE (2u * NB_LOANS)

int nb_lend_init(bool enabled)
{
	if (!enabled)
		return 0;
	loan_pool = rte_pktmbuf_pool_create("netback loans", NB_LOAN_POOL, 64, 0, 0,
					    rte_socket_id());
	return loan_pool ? 0 : -ENOMEM;
}

struct nb_loans *nb_loans_new(struct nb_queue *q)
{
	size_t ring_bytes = (size_t)rte_ring_get_memsize(BACK_SIZE);
	struct nb_loans *l;
	void *ring;

	if (!loan_pool)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	if (posix_memalign(&ring, RTE_CACHE_LINE_SIZE, ring_bytes)) {
		free(l);
		return NULL;
	}
	l->back = ring;
	if (rte_ring_init(l->back, "netback loans back", BACK_SIZE, RING_F_SC_DEQ)) {
		free(ring);
		free(l);
		return NULL;
	}
	l->platform = q->vif->dev->platform;
	l->tx = &q->tx;
	l->stats = &q->stats;
	l->worker = nb_queue_worker(q->vif->opt, q->index);
	for (unsigned i = 0; i < NB_LOANS; i++) {
		l->loan[i].home = l;
		l->free[l->nr_free++] = (uint16_t)(NB_LOANS - 1 - i);
	}
	return l;
}

static void loans_free(struct nb_loans *l)
{
	free(l->back);
	free(l);
}

void nb_loan_freed_cb(void *addr, void *opaque)
{
	struct nb_loan *ln = opaque;
	struct nb_loans *home = ln->home;
	unsigned worker = __atomic_load_n(&home->worker, __ATOMIC_RELAXED);

	(void)addr;
	/* Never full: it has room for every loan.  Its release pairs with
	 * the dequeue's acquire: the reaper sees the loan as it was. */
	NB_HANDOFF_RELEASE(home->back);
	rte_ring_mp_enqueue(home->back, ln);
	if (!nb_self || nb_self->index != worker)
		nb_worker_nudge(worker);
}

struct rte_mbuf *nb_loan_make(struct nb_loans *l, struct sdrv_grant_hold *h,
			      uint16_t offset, uint16_t len, uint16_t id)
{
	struct rte_mbuf *m;
	struct nb_loan *ln;
	char *data;

	if (!l || !l->nr_free || !(m = rte_pktmbuf_alloc(loan_pool)))
		return NULL;
	ln = &l->loan[l->free[--l->nr_free]];
	ln->hold = *h;
	ln->id = id;
	ln->copied = false;
	ln->shinfo.free_cb = nb_loan_freed_cb;
	ln->shinfo.fcb_opaque = ln;
	rte_mbuf_ext_refcnt_set(&ln->shinfo, 1);
	data = (char *)h->page + offset;
	/* Drivers that may be handed a loan read it with the CPU
	 * (nb_port_send()); its I/O address is honest where there is one. */
	rte_pktmbuf_attach_extbuf(m, data,
				  rte_eal_iova_mode() == RTE_IOVA_VA
					  ? (rte_iova_t)(uintptr_t)data
					  : RTE_BAD_IOVA,
				  len, &ln->shinfo);
	m->data_len = len;
	m->pkt_len = len;
	l->out++;
	return m;
}

unsigned nb_loans_reap(struct nb_loans *l)
{
	struct nb_loan *back[NB_LOANS];
	struct sdrv_grant_hold h[NB_LOANS];
	unsigned n;

	if (!l)
		return 0;
	n = rte_ring_sc_dequeue_burst(l->back, (void **)back, NB_LOANS, NULL);
	if (n)
		NB_HANDOFF_ACQUIRE(l->back);
	for (unsigned i = 0; i < n; i++) {
		h[i] = back[i]->hold;
		l->free[l->nr_free++] = (uint16_t)(back[i] - l->loan);
		if (l->stats)
			l->stats->tx_lent_copied +=
				__atomic_load_n(&back[i]->copied, __ATOMIC_RELAXED);
	}
	/* The grants first: once answered, the guest may end access. */
	sdrv_grant_release(l->platform, h, n);
	for (unsigned i = 0; l->tx && i < n; i++)
		nb_answer_tx(l->tx, back[i]->id, SDRV_NETIF_RSP_OKAY);
	l->out -= n;
	return n;
}

bool nb_loans_returned(const struct nb_loans *l)
{
	return l && !rte_ring_empty(l->back);
}

struct rte_mbuf *nb_loan_settle(struct rte_mbuf *m, struct rte_mempool *pool)
{
	struct rte_mbuf *c = rte_pktmbuf_copy(m, pool, 0, UINT32_MAX);

	if (!c)
		return NULL;
	/* Seen by the reaper: the free below brings the loan back. */
	__atomic_store_n(&((struct nb_loan *)m->shinfo->fcb_opaque)->copied, true,
			 __ATOMIC_RELAXED);
	rte_pktmbuf_free(m);
	return c;
}

void nb_loans_orphan(struct nb_loans *l)
{
	if (!l)
		return;
	/* The ring goes with the queue: nothing more is answered. */
	l->tx = NULL;
	__atomic_store_n(&l->worker, 0, __ATOMIC_RELAXED);
	nb_loans_reap(l);
	l->stats = NULL; /* its counters are folded into the vif's next */
	if (!l->out) {
		loans_free(l);
		return;
	}
	l->next_orphan = orphans;
	orphans = l;
}

void nb_loans_sweep(bool at_exit)
{
	unsigned never = 0;

	for (struct nb_loans **pp = &orphans; *pp;) {
		struct nb_loans *l = *pp;

		nb_loans_reap(l);
		if (l->out && !at_exit) {
			pp = &l->next_orphan;
			continue;
		}
		never += l->out;
		*pp = l->next_orphan;
		loans_free(l);
	}
	if (never)
		fprintf(stderr, "netback-dpdk: %u transmit frame%s still lent at exit "
			"(kept by a port): hv-stub lets their grants go\n",
			never, never == 1 ? " was" : "s were");
}
