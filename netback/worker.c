/* SPDX-License-Identifier: MIT */
/*
 * The polling workers and the switch they run: one worker per lcore the
 * EAL gives, worker 0 on the main lcore (main.c drives it, with XenStore,
 * the event channels and the ports' receive side), the others launched
 * here.  Queue q of every vif belongs to worker q % workers, so a guest's
 * queues spread over the lcores as Linux netback spreads them over its
 * kernel threads.
 *
 * The world (the vifs, their queues, the XenBus devices) changes on the
 * main lcore only, under the write side of the world lock; a worker holds
 * the read side for each round and rebuilds its lists of vifs and queues
 * when the world's generation moved.  A sleeping worker holds nothing: it
 * waits on its eventfd, which the main lcore writes when an event channel
 * of one of its queues fires (nb_workers_wake()).
 */
#include "netback.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>

__thread struct nb_worker *nb_self;

static struct nb_worker *workers[NB_MAX_WORKERS];
static unsigned nr_workers;
static pthread_rwlock_t world;
static unsigned world_gen = 1; /* under the write side */
static bool stopping; /* under the write side */
static struct sdrv_xenbus_bus *world_bus;

/* The worker each event channel wakes (NB_NO_WORKER: none); ports past the
 * table wake every worker. */
#define OWNED_PORTS 65536u
static uint8_t port_owner[OWNED_PORTS];

struct nb_worker *nb_worker(unsigned index)
{
	return workers[index];
}

/* From the EAL's timer (the TSC): a few cycles, where clock_gettime()
 * took 1.6 % of a round at 64 B. */
uint64_t nb_clock_ms(void)
{
	uint64_t per_ms = rte_get_timer_hz() / 1000;

	return rte_get_timer_cycles() / (per_ms ? per_ms : 1);
}

int nb_workers_init(unsigned n)
{
	pthread_rwlockattr_t attr;

	/* The main lcore's XenStore work must not wait behind workers that
	 * take the read side round after round. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
				      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&world, &attr);
	pthread_rwlockattr_destroy(&attr);
	memset(port_owner, NB_NO_WORKER, sizeof(port_owner));
	for (unsigned i = 0; i < n; i++) {
		struct nb_worker *w = calloc(1, sizeof(*w));

		if (!w)
			return -ENOMEM;
		w->index = i;
		w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (w->wake_fd < 0) {
			free(w);
			return -errno;
		}
		workers[nr_workers++] = w;
	}
	nb_self = workers[0];
	return 0;
}

void nb_world_lock(void)
{
	pthread_rwlock_wrlock(&world);
}

void nb_world_unlock(bool changed)
{
	if (changed)
		world_gen++;
	pthread_rwlock_unlock(&world);
}

void nb_evtchn_owner(sdrv_evtchn_port_t port, unsigned worker)
{
	if (port < OWNED_PORTS)
		port_owner[port] = (uint8_t)worker;
}

static void wake(struct nb_worker *w)
{
	uint64_t one = 1;

	if (write(w->wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full, so it is awake anyway */
	}
}

void nb_worker_wake(unsigned index)
{
	if (index < nr_workers)
		wake(workers[index]);
}

void nb_workers_wake(const sdrv_evtchn_port_t *ports, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned owner;

		if (ports[i] >= OWNED_PORTS) {
			for (unsigned k = 1; k < nr_workers; k++)
				wake(workers[k]);
			continue;
		}
		owner = port_owner[ports[i]];
		/* Worker 0 is the one that called. */
		if (owner != NB_NO_WORKER && owner != 0 && owner < nr_workers)
			wake(workers[owner]);
	}
}

/* ---- the switch ---------------------------------------------------------- */

/* The live vifs, and the queues of them @w serves. */
static void refresh(struct nb_worker *w)
{
	w->nr_vifs = nb_live_vifs(world_bus, w->vifs, NB_MAX_VIFS);
	w->nr_queues = 0;
	for (unsigned i = 0; i < w->nr_vifs; i++) {
		struct nb_vif *v = w->vifs[i];

		for (unsigned q = w->index; q < v->nr_queues; q += nr_workers)
			w->queues[w->nr_queues++] = &v->queues[q];
	}
	w->gen = world_gen;
}

static void forward_run(struct nb_worker *w, struct rte_mbuf **m, unsigned n,
			struct nb_where from);

/* A GSO frame from a guest (@m, RTE_MBUF_F_TX_TCP_SEG): cut into frames
 * of the wire's size and each sent on, or dropped and counted against
 * @from's queue @q when it cannot be. */
static void forward_gso(struct nb_worker *w, struct nb_queue *q,
			struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth =
		rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	struct rte_mbuf *segs[NB_GSO_MAX_SEGS];
	const char *why = NULL;
	struct nb_where to;
	int n;

	/* To one guest that takes it: whole, as it came (Linux netback
	 * hands such a frame on with its GSO extra). */
	if (nb_fdb_lookup(&w->fdb_memo, &eth->dst_addr, w->now_ms, &to) && to.vif &&
	    to.vif != q->vif &&
	    (m->ol_flags & RTE_MBUF_F_TX_IPV4 ? to.vif->gso_tcpv4 : to.vif->gso_tcpv6)) {
		nb_fdb_learn(&w->fdb_memo, &eth->src_addr, (struct nb_where){ .vif = q->vif }, w->now_ms);
		nb_vif_deliver(to.vif, m);
		return;
	}
	n = nb_gso_segment(m, q->vif->opt->pool, segs, NB_GSO_MAX_SEGS, &why);
	rte_pktmbuf_free(m);
	if (n < 0) {
		nb_queue_tx_dropped(q, why);
		return;
	}
	/* The segments have the frame's addresses: one run. */
	if (n > 0)
		forward_run(w, segs, (unsigned)n, (struct nb_where){ .vif = q->vif });
}

/* Where the switch sends a frame. */
enum way {
	WAY_NOWHERE, /* back where it came from, or nowhere else to go */
	WAY_VIF, /* to one vif */
	WAY_PORT, /* to one port */
	WAY_FLOOD, /* to every other vif and port */
};

/* Learn where @m's source is (@from) and find where @m goes (*@to for a
 * vif or a port): where its destination was learnt, else everywhere else
 * (a flood with one place left is a send to it). */
static enum way switch_way(struct nb_worker *w, const struct rte_mbuf *m,
			   struct nb_where from, struct nb_where *to)
{
	const struct rte_ether_hdr *eth =
		rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	unsigned others = 0;

	nb_fdb_learn(&w->fdb_memo, &eth->src_addr, from, w->now_ms);
	if (nb_fdb_lookup(&w->fdb_memo, &eth->dst_addr, w->now_ms, to)) {
		if (nb_where_same(*to, from))
			return WAY_NOWHERE;
		return to->vif ? WAY_VIF : WAY_PORT;
	}
	for (unsigned i = 0; i < w->nr_vifs && !others; i++)
		others += w->vifs[i] != from.vif;
	if (others)
		return WAY_FLOOD;
	for (uint16_t i = 0; i < nb_nr_ports; i++) {
		if (!from.vif && nb_port_ids[i] == from.port)
			continue;
		if (others++)
			return WAY_FLOOD;
		*to = (struct nb_where){ .port = nb_port_ids[i] };
	}
	return others ? WAY_PORT : WAY_NOWHERE;
}

/* Send @m from @from to every other vif and port.  @m is consumed: the
 * last vif gets @m itself (the others a reference each), and each port a
 * copy, but for the last port when no vif takes @m (a port's driver may
 * write into what it sends; a guest's copy is taken from @m later). */
static void flood(struct nb_worker *w, struct rte_mbuf *m, struct nb_where from)
{
	struct nb_vif *to_vifs[NB_MAX_VIFS];
	unsigned nv = 0, np = 0, nr_ports = nb_nr_ports;

	for (unsigned i = 0; i < w->nr_vifs; i++)
		if (w->vifs[i] != from.vif)
			to_vifs[nv++] = w->vifs[i];
	for (uint16_t i = 0; i < nr_ports; i++)
		np += from.vif || nb_port_ids[i] != from.port;
	for (uint16_t i = 0; i < nr_ports; i++) {
		struct rte_mbuf *c;

		if (!from.vif && nb_port_ids[i] == from.port)
			continue;
		if (!nv && !--np) {
			nb_port_send(w, nb_port_ids[i], m);
			return;
		}
		c = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
		if (c)
			nb_port_send(w, nb_port_ids[i], c);
	}
	if (!nv) {
		rte_pktmbuf_free(m);
		return;
	}
	if (nv > 1)
		rte_mbuf_refcnt_update(m, (int16_t)(nv - 1));
	for (unsigned k = 0; k < nv; k++)
		nb_vif_deliver(to_vifs[k], m);
}

/* Send @n frames @m, all from @from with the same addresses, the way the
 * first goes.  Consumed. */
static void forward_run(struct nb_worker *w, struct rte_mbuf **m, unsigned n,
			struct nb_where from)
{
	struct nb_where to;

	switch (switch_way(w, m[0], from, &to)) {
	case WAY_NOWHERE:
		rte_pktmbuf_free_bulk(m, n);
		break;
	case WAY_VIF:
		for (unsigned k = 0; k < n; k++)
			nb_vif_deliver(to.vif, m[k]);
		break;
	case WAY_PORT:
		nb_port_send_burst(w, to.port, m, n);
		break;
	case WAY_FLOOD:
		for (unsigned k = 0; k < n; k++)
			flood(w, m[k], from);
		break;
	}
}

/* Whether @a and @b have the same destination and source addresses. */
static bool same_addresses(const struct rte_mbuf *a, const struct rte_mbuf *b)
{
	return !memcmp(rte_pktmbuf_mtod(a, const void *),
		       rte_pktmbuf_mtod(b, const void *), 2 * RTE_ETHER_ADDR_LEN);
}

/* Send on the @n frames @m from @from (a vif's queue @q, or a port).  A
 * burst is mostly runs of one flow: the switch decides once per run (its
 * table looked at once), and a run to a port goes to it whole.  GSO
 * frames go one by one (forward_gso()).  Consumed. */
static void forward_burst(struct nb_worker *w, struct nb_queue *q,
			  struct rte_mbuf **m, unsigned n, struct nb_where from)
{
	for (unsigned i = 0, run; i < n; i += run) {
		run = 1;
		if (q && (m[i]->ol_flags & RTE_MBUF_F_TX_TCP_SEG)) {
			forward_gso(w, q, m[i]);
			continue;
		}
		/* A guest's frames were checked (nb_queue_take_tx()); a
		 * port's may be anything its driver passes on. */
		if (!q && rte_pktmbuf_data_len(m[i]) < RTE_ETHER_HDR_LEN) {
			w->port_rx_runts[from.port]++;
			rte_pktmbuf_free(m[i]);
			continue;
		}
		while (i + run < n && !(m[i + run]->ol_flags & RTE_MBUF_F_TX_TCP_SEG) &&
		       (q || rte_pktmbuf_data_len(m[i + run]) >= RTE_ETHER_HDR_LEN) &&
		       same_addresses(m[i], m[i + run]))
			run++;
		forward_run(w, &m[i], run, from);
	}
}

unsigned nb_worker_round(struct nb_worker *w)
{
	struct rte_mbuf *burst[NB_BURST];
	unsigned moved = 0;

	w->now_ms = nb_clock_ms();
	nb_fdb_memo_reset(&w->fdb_memo);
	/* Under the world lock's read side (worker 0: it is the writer). */
	if (w->gen != world_gen)
		refresh(w);
	for (unsigned i = 0; i < w->nr_queues; i++) {
		struct nb_queue *q = w->queues[i];
		unsigned n = nb_queue_take_tx(q, burst);

		forward_burst(w, q, burst, n, (struct nb_where){ .vif = q->vif });
		moved += n;
	}
	/* The ports' receive queues are worker 0's. */
	for (uint16_t i = 0; w->index == 0 && i < nb_nr_ports; i++) {
		uint16_t n = rte_eth_rx_burst(nb_port_ids[i], 0, burst, NB_BURST);

		forward_burst(w, NULL, burst, n, (struct nb_where){ .port = nb_port_ids[i] });
		moved += n;
	}
	/* What waits for each guest (frames of this round and of rounds
	 * before, for buffers posted since) goes now, in order. */
	for (unsigned i = 0; i < w->nr_queues; i++)
		moved += nb_queue_flush(w->queues[i]);
	nb_ports_flush(w);
	return moved;
}

bool nb_worker_pending(struct nb_worker *w)
{
	bool any = false;

	for (unsigned i = 0; i < w->nr_queues; i++) {
		any |= nb_queue_tx_pending(w->queues[i]);
		any |= nb_queue_rx_waiting(w->queues[i]);
	}
	return any;
}

bool nb_worker_may_sleep(struct nb_worker *w)
{
	/* Said before the last look, so that a frame handed over after it
	 * finds the flag (pairs with the exchange in nb_worker_nudge()). */
	__atomic_store_n(&w->asleep, true, __ATOMIC_SEQ_CST);
	if (!nb_worker_pending(w))
		return true;
	nb_worker_awake(w);
	return false;
}

void nb_worker_awake(struct nb_worker *w)
{
	__atomic_store_n(&w->asleep, false, __ATOMIC_RELAXED);
}

void nb_worker_nudge(unsigned index)
{
	/* The first to find it asleep wakes it; the rest need not. */
	if (index < nr_workers &&
	    __atomic_exchange_n(&workers[index]->asleep, false, __ATOMIC_SEQ_CST))
		wake(workers[index]);
}

int nb_worker_timeout_ms(struct nb_worker *w)
{
	int timeout = -1;

	/* Frames waiting for a guest stall on time even when nothing else
	 * happens. */
	for (unsigned i = 0; i < w->nr_queues; i++) {
		int t = nb_queue_rx_stall_in_ms(w->queues[i]);
		int c = nb_queue_credit_in_ms(w->queues[i]);

		if (t >= 0 && (timeout < 0 || t + 1 < timeout))
			timeout = t + 1;
		/* and a guest over its rate gets its credit back on time */
		if (c >= 0 && (timeout < 0 || c + 1 < timeout))
			timeout = c + 1;
	}
	return timeout;
}

/* ---- the other lcores ------------------------------------------------------ */

static int worker_loop(void *arg)
{
	struct nb_worker *w = arg;
	unsigned idle = 0;

	nb_self = w;
	for (;;) {
		int timeout = 0;

		pthread_rwlock_rdlock(&world);
		if (stopping) {
			pthread_rwlock_unlock(&world);
			return 0;
		}
		if (nb_worker_round(w)) {
			idle = 0;
		} else if (++idle >= NB_IDLE_ROUNDS && nb_worker_may_sleep(w)) {
			timeout = nb_worker_timeout_ms(w);
			idle = 0;
		}
		pthread_rwlock_unlock(&world);
		if (timeout != 0) {
			struct pollfd pfd = { .fd = w->wake_fd, .events = POLLIN };
			uint64_t count;

			if (poll(&pfd, 1, timeout) > 0 &&
			    read(w->wake_fd, &count, sizeof(count)) < 0) {
				/* EAGAIN: another read took it */
			}
		}
		nb_worker_awake(w);
	}
}

int nb_workers_start(struct sdrv_xenbus_bus *bus)
{
	unsigned lcore, i = 1;

	world_bus = bus;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		int err;

		if (i == nr_workers)
			break;
		err = rte_eal_remote_launch(worker_loop, workers[i], lcore);
		if (err)
			return err;
		i++;
	}
	return 0;
}

void nb_workers_stop(void)
{
	nb_world_lock();
	stopping = true;
	nb_world_unlock(false);
	for (unsigned i = 1; i < nr_workers; i++)
		wake(workers[i]);
	rte_eal_mp_wait_lcore();
}
