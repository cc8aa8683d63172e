/* SPDX-License-Identifier: MIT */
/*
 * netback-dpdk: the network backend.  It serves every vif whose XenStore
 * directory names this domain as backend, and switches frames between the
 * vifs and the DPDK ports on its command line (an L2 learning switch).
 *
 *   vif.c     the "vif" XenBus driver: Linux netback's keys and states;
 *             connect maps each queue's two rings and binds its event
 *             channels
 *   vif_io.c  the data path of one queue: transmit requests checked and
 *             copied into mbufs, frames copied into the guest's posted
 *             receive buffers; pages reached through grant holds (checked
 *             and pinned per burst, no message to hv-stub)
 *   worker.c  a polling worker per lcore, the world lock, the switch
 *   ports.c   the DPDK ports: a transmit queue per worker
 *   fdb.c     the switch's forwarding table: MAC -> where, bounded, aged
 *   csum.c    blank checksums finished
 *   lend.c    large transmit frames lent on in the guest's page, not copied
 *   telemetry.c  counters through DPDK's telemetry
 *   main.c    EAL, options, worker 0's loop with XenStore and its sleep
 *
 * When nothing moves for a while a worker sleeps (worker 0 on the event
 * channels, XenStore and the ports, the others on an eventfd worker 0
 * writes): no busy CPU on an idle host.
 */
#ifndef NETBACK_H
#define NETBACK_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ethdev.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include <splitdrv/netif.h>
#include <splitdrv/platform.h>
#include <splitdrv/xenbus_driver.h>

/*
 * ThreadSanitizer does not see the order rte_ring gives on x86 (its
 * barriers there are the compiler's alone), so a frame or a loan handed
 * from one lcore to another through a ring is told to it: a release
 * before the enqueue, an acquire after the dequeue.  Nothing otherwise.
 */
#if defined(__SANITIZE_THREAD__)
#define NB_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NB_TSAN 1
#endif
#endif
#ifdef NB_TSAN
#include <sanitizer/tsan_interface.h>
#define NB_HANDOFF_RELEASE(ring) __tsan_release(ring)
#define NB_HANDOFF_ACQUIRE(ring) __tsan_acquire(ring)
#else
#define NB_HANDOFF_RELEASE(ring) ((void)(ring))
#define NB_HANDOFF_ACQUIRE(ring) ((void)(ring))
#endif

#define NB_BURST 32u
#define NB_MAX_VIFS 256u /* served at once */
/* Linux's XEN_NETIF_NR_SLOTS_MIN: a frontend may use this many slots for a
 * frame; more is a fatal error (Linux's fatal_skb_slots default). */
#define NB_MAX_SLOTS 18u
#define NB_MAX_FRAME 9018u /* the largest frame we take (jumbo + VLAN) */
#define NB_RX_WAITING 64u /* frames held for a guest out of buffers */
/* Frames held for all guests out of buffers together: a quarter of the
 * pool, so that starving guests cannot take the mbufs everyone needs. */
#define NB_RX_WAITING_TOTAL 1024u
/* A guest that takes none of its waiting frames for this long is stalled
 * (Linux netback's rx_stall_timeout, shorter: a switch holds frames for
 * no one): what waits is dropped, and so is every frame for it until it
 * posts a buffer again. */
#define NB_RX_STALL_MS 2000u
/* Multicast groups a vif may filter (Linux's XEN_NETBK_MCAST_MAX). */
#define NB_MCAST_MAX 64u

/* Queues a vif may have (multi-queue-max-queues at most). */
#define NB_MAX_QUEUES 8u
/* Frames another worker switched to a queue, waiting for its own worker
 * (a power of two: an rte_ring). */
#define NB_INBOX_SIZE 1024u

/* Where a frame goes: a vif, or a DPDK port (vif NULL). */
struct nb_where {
	struct nb_vif *vif;
	uint16_t port;
};
static inline bool nb_where_same(struct nb_where a, struct nb_where b)
{
	return a.vif == b.vif && (a.vif || a.port == b.port);
}
/*
 * What one worker learnt and looked up last, this round: the same source
 * or destination again (a burst of one flow) skips the table.  Reset at
 * each round (nb_fdb_memo_reset()); another worker's change within a
 * round is seen from the next, as if the frames had come a moment
 * earlier.
 */
struct nb_fdb_memo {
	bool learnt, looked, found;
	uint64_t src, dst;
	struct nb_where from, to;
};

struct nb_stats {
	uint64_t tx_packets, tx_bytes; /* from the guest */
	uint64_t rx_packets, rx_bytes; /* to the guest */
	uint64_t tx_dropped; /* malformed frames from the guest */
	uint64_t rx_dropped; /* no receive buffer posted (starved) */
	uint64_t rx_stalls; /* times it stalled (NB_RX_STALL_MS) */
	uint64_t mcast_refused; /* groups beyond NB_MCAST_MAX */
	uint64_t errors; /* grants that failed */
	/* Frames lent in the guest's page, not copied (lend.c), and of
	 * those, copied after all (Linux's tx_zerocopy_sent and _fail). */
	uint64_t tx_lent, tx_lent_copied;
	/* Receive grants held now for a frontend that says
	 * feature-persistent (pins.c): not a count of events but how many
	 * of the guest's pages netback-dpdk holds at this moment.  Filled
	 * in by nb_vif_stats() alone. */
	uint64_t rx_grants_kept;
};

struct nb_options {
	struct rte_mempool *pool;
	bool verbose;
	bool base_protocol; /* offer only the base protocol (--base-protocol) */
	unsigned max_queues; /* offered (multi-queue-max-queues) */
	unsigned nr_workers; /* polling lcores: queue q is worker q % this */
};

/*
 * One polling lcore.  Worker 0 is the main lcore, which also owns
 * XenStore, the event channels and the ports' receive queues; the others
 * serve only their vif queues.  Everything a worker reads of the world
 * (the vifs, their queues) changes only under the world lock's write
 * side, which the main lcore takes for XenStore and the counters; a worker
 * holds the read side for each round.  Across workers go only: frames
 * (each queue's inbox), the forwarding table (fdb.c), the multicast
 * filters (a lock each) and a port's transmit queue when it has too few
 * for one each (a lock each).
 */
struct nb_worker {
	unsigned index;
	/* An eventfd that wakes it: the main lcore writes a sleeping
	 * worker's, a worker that disabled a vif writes worker 0's. */
	int wake_fd;
	/* About to sleep or asleep (nb_worker_may_sleep()): a worker that
	 * hands it a frame wakes it. */
	bool asleep;
	unsigned gen; /* the world's generation its lists were made at */
	struct nb_vif *vifs[NB_MAX_VIFS]; /* every live vif (flooding) */
	unsigned nr_vifs;
	struct nb_queue *queues[NB_MAX_VIFS * NB_MAX_QUEUES]; /* it serves */
	unsigned nr_queues;
	/* Frames gathered for each port's transmit queue (this worker's,
	 * or the one shared under the port's lock), and what the port did
	 * not take of them. */
	struct rte_eth_dev_tx_buffer *port_tx[RTE_MAX_ETHPORTS];
	uint64_t port_tx_dropped[RTE_MAX_ETHPORTS];
	/* Frames a port received whose first segment is shorter than an
	 * Ethernet header: dropped (the switch reads the addresses there). */
	uint64_t port_rx_runts[RTE_MAX_ETHPORTS];
	uint64_t now_ms; /* the time of its current round */
	struct nb_fdb_memo fdb_memo; /* reset each round */
	unsigned waiting_total; /* frames held for guests (NB_RX_WAITING_TOTAL) */
};

/* The worker running on this thread (main.c sets it). */
extern __thread struct nb_worker *nb_self;
/* Worker @index (the main lcore, under the world lock: for what it
 * undoes of a worker's queue). */
struct nb_worker *nb_worker(unsigned index);

/* One queue of a vif: a transmit and a receive ring, their event
 * channels, and the frames waiting for the guest's receive buffers. */
struct nb_queue {
	struct nb_vif *vif;
	unsigned index;
	char name[48]; /* "vif 1/0" or "vif 1/0 queue 1" */
	struct sdrv_xenbus_ring tx_ring, rx_ring;
	struct sdrv_ring_back tx, rx;
	/* One channel for both rings, or one each (split event channels:
	 * tx_port != rx_port). */
	sdrv_evtchn_port_t tx_port, rx_port;
	/* Frames other workers switched here, for its own worker to queue. */
	struct rte_ring *inbox;
	/* Frames for the guest waiting for it to post receive buffers (a
	 * reference each), oldest first: a short stall drops nothing. */
	struct rte_mbuf *waiting[NB_RX_WAITING];
	unsigned wait_head, nr_waiting;
	uint64_t rx_progress_ms; /* buffers last taken, or frames began to wait */
	bool rx_stalled; /* see NB_RX_STALL_MS */
	/* The toolstack's "rate" (Linux netback's credit): at most
	 * credit_bytes from the guest every credit_ms; 0: no limit. */
	uint64_t credit_bytes, credit_left, credit_refill_ms;
	uint32_t credit_ms;
	bool credit_blocked; /* a frame waits for the next window */
	/* Its frames lent, not copied (lend.c); NULL: all copied. */
	struct nb_loans *loans;
	/* Its guest's receive grants kept held (pins.c); NULL: the guest
	 * did not say feature-persistent. */
	struct nb_pins *pins;
	/* Fresh mbufs for its guest's frames, taken from the pool in bulk
	 * (nb_queue_take_tx()); its worker's alone. */
	struct rte_mbuf *stash[NB_BURST];
	unsigned stashed;
	struct nb_stats stats; /* written by its worker alone */
};

/* One vif, connected or not. */
struct nb_vif {
	struct sdrv_xenbus_device *dev;
	const struct nb_options *opt;
	char name[32]; /* "vif 1/0" */
	struct rte_ether_addr mac; /* the guest's, from "mac" */
	bool connected;
	/* An impossible ring state: this vif stops.  Set by whichever
	 * worker found it (with disabled_why); the main lcore then tells
	 * XenStore (disabled_told). */
	bool disabled;
	const char *disabled_why;
	bool disabled_told;
	/* The frontend says Connected to a netback that died before us: its
	 * rings hold that one's indices.  We wait for it to connect afresh. */
	bool front_stale;
	unsigned nr_queues; /* multi-queue-num-queues; 0 disconnected */
	struct nb_queue *queues;
	bool sg; /* the guest takes frames over several buffers (feature-sg) */
	/* It keeps its receive grants while connected (feature-persistent:
	 * see pins.c). */
	bool persistent;
	/* It takes GSO frames whole (feature-gso-tcpv4/-tcpv6, with sg). */
	bool gso_tcpv4, gso_tcpv6;
	/* request-multicast-control: it gets only the groups it added
	 * (changed by the worker of the queue the request came on, read by
	 * every worker: under the lock). */
	bool mcast_control;
	rte_spinlock_t mcast_lock;
	struct rte_ether_addr mcast[NB_MCAST_MAX];
	unsigned nr_mcast;
	/* Its "rate" (read_rate() in vif.c), for each of its queues. */
	uint64_t credit_bytes;
	uint32_t credit_ms;
	/* Frames for it dropped before reaching a queue, by any worker
	 * (too long for it, or an inbox full): atomic. */
	uint64_t deliver_dropped;
	struct nb_stats stats; /* its queues' of connections past */
	struct nb_vif *next_gone; /* counters of vifs gone, for exit */
};

/* ---- vif.c ---- */
void nb_driver_init(const struct nb_options *opt);
extern const struct sdrv_xenbus_driver nb_driver;
typedef void (*nb_vif_fn)(struct nb_vif *vif, bool gone, void *arg);
void nb_for_each_vif(struct sdrv_xenbus_bus *bus, nb_vif_fn fn, void *arg);
void nb_forget_gone(void);
/* Vifs gone whose counters are kept one by one; the older are summed
 * into one, walked last (named "vifs gone earlier"). */
#define NB_GONE_KEPT 64u
/* The vifs that move frames now (connected, not disabled), up to @max,
 * into @out.  Return: how many. */
unsigned nb_live_vifs(struct sdrv_xenbus_bus *bus, struct nb_vif **out,
		      unsigned max);
/* @v's counters: its past connections' and its queues' now (the main
 * lcore, under the world lock). */
void nb_vif_stats(const struct nb_vif *v, struct nb_stats *out);
/* The worker that serves queue @q (of any vif). */
static inline unsigned nb_queue_worker(const struct nb_options *opt, unsigned q)
{
	return q % opt->nr_workers;
}
/* Tell XenStore why each vif the workers disabled since the last call
 * was (the main lcore, under the world lock).  Return: how many. */
unsigned nb_report_disabled(struct sdrv_xenbus_bus *bus);

/* ---- worker.c: the workers, the world lock and the switch ---- */
#define NB_MAX_WORKERS 8u /* polling lcores used; more queues share them */
#define NB_NO_WORKER 0xffu
#define NB_IDLE_ROUNDS 200u /* empty rounds before a worker sleeps */
uint64_t nb_clock_ms(void);
/* @n workers (the main lcore's first).  Return: 0, -errno. */
int nb_workers_init(unsigned n);
/* Launch workers 1.. on the EAL's other lcores, serving @bus's vifs. */
int nb_workers_start(struct sdrv_xenbus_bus *bus);
/* Stop and wait for them (the main lcore). */
void nb_workers_stop(void);
/* The world lock's write side (the main lcore): no worker is in a round
 * while it is held.  @changed: vifs or queues came, went or were
 * disabled (the workers rebuild their lists). */
void nb_world_lock(void);
void nb_world_unlock(bool changed);
/* Event channel @port is @worker's to be woken by (NB_NO_WORKER: no
 * one's); the main lcore, under the world lock. */
void nb_evtchn_owner(sdrv_evtchn_port_t port, unsigned worker);
/* Wake the workers whose event channels @ports (of @n) fired. */
void nb_workers_wake(const sdrv_evtchn_port_t *ports, unsigned n);
/* Wake worker @index (0: the main lcore, to tell XenStore of a vif
 * disabled). */
void nb_worker_wake(unsigned index);
/* One round of @w over its queues (worker 0: and the ports' receive
 * queues).  Return: frames moved. */
unsigned nb_worker_round(struct nb_worker *w);
/* Whether @w's queues have work (asking each guest to notify when it
 * adds some, before @w sleeps). */
bool nb_worker_pending(struct nb_worker *w);
/* @w is about to sleep: it says so, then looks for work once more.
 * Return: true if it may sleep (call nb_worker_awake() after); false,
 * and it stays awake, if work came. */
bool nb_worker_may_sleep(struct nb_worker *w);
void nb_worker_awake(struct nb_worker *w);
/* A frame was handed to worker @index's inbox: wake it if it sleeps. */
void nb_worker_nudge(unsigned index);
/* How long @w may sleep: until the first of its queues' frames waiting
 * stall or credit comes back (ms), or -1. */
int nb_worker_timeout_ms(struct nb_worker *w);

/* ---- ports.c: the DPDK ports ---- */
extern uint16_t nb_nr_ports;
extern uint16_t nb_port_ids[RTE_MAX_ETHPORTS];
/* Configure and start every port the EAL made: one receive queue (worker
 * 0's) and a transmit queue per worker, or one shared under a lock where
 * the driver has too few.  Return: 0, or -errno with *@port_failed. */
int nb_ports_init(const struct nb_options *opt, uint16_t *port_failed);
/* Queue @m for @port from @w (sent a burst at a time).  A loan (lend.c)
 * goes as it is only to a driver that copies with the CPU before its
 * transmit call returns (net_null, net_tap, net_af_packet, net_pcap);
 * any other gets a copy. */
void nb_port_send(struct nb_worker *w, uint16_t port, struct rte_mbuf *m);
/* The same for @n frames @m, in order (a port's lock, where it has one,
 * taken once). */
void nb_port_send_burst(struct nb_worker *w, uint16_t port, struct rte_mbuf **m,
			unsigned n);
/* Send what @w gathered for each port. */
void nb_ports_flush(struct nb_worker *w);
/* Put the ports that have receive interrupts on @ep (tagged @tag).
 * Return: whether some port has none (it must be polled even asleep). */
bool nb_ports_watch(int ep, uint64_t tag);
/* Arm (or disarm) the receive interrupts of the ports that have them. */
void nb_ports_wake_us(bool on);
void nb_ports_print(void);
void nb_ports_close(void);

/* ---- vif_io.c (a queue's data path, on its worker) ---- */
/* Copy a frame's piece: a small one in line (glibc's call and size
 * dispatch cost as much as its bytes), a large one by memcpy. */
static inline void nb_copy(void *dst, const void *src, size_t n)
{
	if (n <= 128)
		sdrv_copy(dst, src, n);
	else
		memcpy(dst, src, n);
}
/* Answer one transmit request on @tx (not yet pushed). */
static inline void nb_answer_tx(struct sdrv_ring_back *tx, uint16_t id, int16_t status)
{
	struct sdrv_netif_tx_response r = { .id = id, .status = status };

	sdrv_netif_tx_back_put_responses(tx, &r, 1);
}
/* Mark @v disabled for @why (any worker; the main lcore reports it). */
void nb_vif_disable(struct nb_vif *v, const char *why);
/* Count a frame from @q's guest dropped, saying @why (if known) when
 * verbose. */
void nb_queue_tx_dropped(struct nb_queue *q, const char *why);
/* Up to NB_BURST frames the guest sent on @q, checked, into @out (mbufs
 * from the pool).  Return: how many. */
unsigned nb_queue_take_tx(struct nb_queue *q, struct rte_mbuf **out);
/* Send @m to the guest of @v, on the queue "this worker's index mod its
 * queues" (a flow comes from one queue, so one worker: it stays on one
 * queue, in order): directly if this worker serves that queue, else
 * through the queue's inbox.  Consumes @m (one reference). */
void nb_vif_deliver(struct nb_vif *v, struct rte_mbuf *m);
/* Whether frames wait for buffers (and, if so, ask the guest to notify
 * when it posts some). */
bool nb_queue_rx_waiting(struct nb_queue *q);
/* Milliseconds until the frames waiting for @q's buffers stall (0: due
 * now), or -1 when none wait. */
int nb_queue_rx_stall_in_ms(const struct nb_queue *q);
/* Milliseconds until @q's transmit credit comes back (0: due now), or -1
 * when nothing waits for it. */
int nb_queue_credit_in_ms(const struct nb_queue *q);
/* Let go of every frame waiting, in the inbox too (it disconnects). */
void nb_queue_drop_waiting(struct nb_queue *q);
/* Take the inbox, copy what waits into posted buffers, push the
 * responses of this round and notify the guest if it asked.
 * Return: frames delivered. */
unsigned nb_queue_flush(struct nb_queue *q);
/* Whether the guest has transmit requests waiting on @q (and, if not,
 * ask it to notify when it adds some), or frames wait in its inbox. */
bool nb_queue_tx_pending(struct nb_queue *q);

/* ---- telemetry.c ---- */
/* Register /netback/vifs with DPDK's telemetry (after the EAL starts). */
void nb_telemetry_init(void);
/* Copy every vif's counters for the telemetry thread to read (the polling
 * loop calls it every so often and before it sleeps). */
void nb_telemetry_publish(struct sdrv_xenbus_bus *bus);

/* ---- csum.c ---- */
/* Finish the TCP or UDP checksum of @m, a frame a guest sent with
 * NETTXF_csum_blank (over IPv4 or IPv6, optionally one VLAN tag).
 * Return: 0; -EINVAL with *@why when it is no such frame or its lengths
 * do not fit the frame (it is dropped). */
int nb_csum_complete(struct rte_mbuf *m, const char **why);

/* ---- gso.c ---- */
/* Segments a GSO frame is cut into at most (a 64 KiB frame of 1448-byte
 * segments is 46): a smaller GSO size is refused, not amplified. */
#define NB_GSO_MAX_SEGS 64u
/* An mbuf chain from @pool of @len bytes (data lengths set, contents not
 * written), or NULL. */
struct rte_mbuf *nb_mbuf_chain(struct rte_mempool *pool, uint32_t len);
/* Copy @len bytes of @src into chain @m at @off. */
void nb_mbuf_chain_write(struct rte_mbuf *m, uint32_t off, const void *src,
			 uint32_t len);
/* Cut @m, a TCP frame a guest sent with a GSO extra (RTE_MBUF_F_TX_TCP_SEG,
 * tso_segsz its GSO size, RTE_MBUF_F_TX_IPV4 or _IPV6 its type), into
 * frames of at most tso_segsz bytes of payload, each in a new mbuf from
 * @pool with its lengths, sequence number and checksums made.  @m is not
 * consumed.  Return: how many, into @out (at most @max); -EINVAL with
 * *@why (not TCP over IP of its type, headers that do not fit, more than
 * @max segments), -ENOMEM. */
int nb_gso_segment(struct rte_mbuf *m, struct rte_mempool *pool,
		   struct rte_mbuf **out, unsigned max, const char **why);

/* ---- lend.c: transmit frames lent, not copied ---- */
/*
 * A frame the guest sent in one slot, of NB_LEND_MIN bytes or more and
 * with nothing netback must write into it (no blank checksum, no GSO),
 * goes on as an mbuf whose external buffer is the guest's own page, held
 * (sdrv_grant_hold()) until the last reference to that mbuf is freed, on
 * whichever lcore.  Its request is answered then, by the queue's worker
 * (nb_loans_reap()).  Linux netback maps and answers on the skb's
 * release in the same way; a copy of a large frame costs more than the
 * loan's bookkeeping, a small one less.
 *
 * Bounds, so that nobody keeps a guest's slots for long:
 * - a queue lends NB_LOANS frames at most (the rest of its ring is
 *   copied), and all queues together as many as the loan pool holds;
 * - a port whose driver may keep frames or read them by DMA (not one of
 *   the CPU-copy drivers nb_port_send() names) gets a copy;
 * - a frame still waiting for a guest's receive buffers at the end of a
 *   round is copied and its loan returned (nb_loan_settle()).
 * A queue that goes with frames still lent leaves them to the main lcore,
 * which lets their grants go as they come back (nb_loans_sweep()).
 */
#define NB_LEND_MIN 512u
#define NB_LOANS 64u /* a queue's, at most */
#define NB_LOAN_POOL 2047u /* every queue's together */
struct nb_loans;
/* The pool of loan mbufs (headers only).  Return: 0, -ENOMEM. */
int nb_lend_init(bool enabled);
/* @q's loans, answered on @q's transmit ring; NULL when lending is off
 * or there is no memory (then every frame is copied). */
struct nb_loans *nb_loans_new(struct nb_queue *q);
/* Lend the page @h holds (its frame: @len bytes at @offset, request @id):
 * an mbuf whose loan now owns the hold (the caller must not release
 * @h), or NULL when no loan is free (copy it, and release @h). */
struct rte_mbuf *nb_loan_make(struct nb_loans *l, struct sdrv_grant_hold *h,
			      uint16_t offset, uint16_t len, uint16_t id);
/* Answer the requests of the loans that came back (the queue's worker).
 * Return: how many. */
unsigned nb_loans_reap(struct nb_loans *l);
/* Whether loans came back unanswered. */
bool nb_loans_returned(const struct nb_loans *l);
/* The loan mbufs' free callback (their shared info's). */
void nb_loan_freed_cb(void *addr, void *opaque);
static inline bool nb_is_loan(const struct rte_mbuf *m)
{
	return RTE_MBUF_HAS_EXTBUF(m) && m->shinfo &&
	       m->shinfo->free_cb == nb_loan_freed_cb;
}
/* A copy of @m (a loan) from @pool, and @m's reference let go: NULL if
 * no mbuf (then @m is kept, untouched). */
struct rte_mbuf *nb_loan_settle(struct rte_mbuf *m, struct rte_mempool *pool);
/* Queue @q goes (the main lcore, world lock held): its loans still out
 * are the main lcore's to let go as they come back. */
void nb_loans_orphan(struct nb_loans *l);
/* Let go of orphans' loans that came back (the main lcore); at exit of
 * all of them, saying how many were never given back. */
void nb_loans_sweep(bool at_exit);

/* ---- pins.c: receive buffers kept held (feature-persistent) ----
 *
 * A frontend that says feature-persistent (blkif's key, and the netif
 * proposal's of that name) posts its receive buffers from grants it keeps
 * for the connection's life and ends access to none of them before it
 * disconnects.  Its buffers' grants are held from their first use until
 * the queue goes, where any other frontend's are held and released around
 * each burst: at 64 B those two locked instructions a frame (the first
 * waiting for the stores of the copies before it) were a quarter of
 * netback's time.  A frontend that says nothing (Linux's, which ends
 * access to each buffer as its answer comes, and gives up on a grant
 * still in use: XSA-396) has nothing kept.
 *
 * Bounds: a queue keeps NB_PINS grants at most, one per place of a table
 * by ref (a ref whose place is taken is held for its burst alone), and
 * all queues together NB_PINS_TOTAL: the process's hold records
 * (SDRV_GRANT_HOLD_MAX) stay free for bursts and loans.
 */
#define NB_PINS 512u
#define NB_PINS_TOTAL 8192u
struct nb_pins;
/* A queue's table (NULL: no memory; then nothing is kept). */
struct nb_pins *nb_pins_new(void);
/* sdrv_grant_hold() of @h (@n, NB_BURST at most), the grants @pins
 * keeps taken from it and new ones kept where there is room.  The holds
 * to release once the burst is written go to @rel (room for @n), *@nrel
 * of them.  Return: as sdrv_grant_hold(). */
int nb_pins_hold(struct nb_pins *pins, struct sdrv_platform *p,
		 struct sdrv_grant_hold *h, unsigned n,
		 struct sdrv_grant_hold *rel, unsigned *nrel);
/* How many grants @pins keeps now (NULL: none); read from any lcore. */
unsigned nb_pins_kept(const struct nb_pins *pins);
/* Let go of every grant @pins keeps, and of @pins (NULL: nothing). */
void nb_pins_free(struct nb_pins *pins, struct sdrv_platform *p);

/* ---- fdb.c: the forwarding table ---- */
#define NB_FDB_SIZE 4096u /* entries; a full table floods, never grows */
#define NB_FDB_AGE_MS 300000u /* Linux bridges' default ageing */
void nb_fdb_memo_reset(struct nb_fdb_memo *memo);
void nb_fdb_learn(struct nb_fdb_memo *memo, const struct rte_ether_addr *mac,
		  struct nb_where from, uint64_t now_ms);
/* Return: true with *@to for a known unicast @mac; false: flood. */
bool nb_fdb_lookup(struct nb_fdb_memo *memo, const struct rte_ether_addr *mac,
		   uint64_t now_ms, struct nb_where *to);
/* Forget every entry that leads to @vif (it went). */
void nb_fdb_forget_vif(const struct nb_vif *vif);

#endif /* NETBACK_H */
