/* SPDX-License-Identifier: MIT */
/*
 * netback-dpdk: the network backend.  It serves every vif whose XenStore
 * directory names this domain as backend, and switches frames between the
 * vifs and the DPDK ports on its command line (an L2 learning switch).
 *
 *   vif.c     the "vif" XenBus driver: Linux netback's keys and states;
 *             connect maps the two rings and binds the event channel
 *   vif_io.c  the data path of one vif: transmit requests checked and
 *             copied into mbufs, frames copied into the guest's posted
 *             receive buffers; pages reached through grant holds (checked
 *             and pinned per burst, no message to hv-stub)
 *   fdb.c     the switch's forwarding table: MAC -> where, bounded, aged
 *   main.c    EAL, ports, options, the polling loop and its sleep
 *
 * One polling thread.  When nothing moves for a while it sleeps on the
 * event channels and XenStore (a short timeout while DPDK ports need
 * polling): no busy CPU on an idle host.
 */
#ifndef NETBACK_H
#define NETBACK_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <splitdrv/netif.h>
#include <splitdrv/platform.h>
#include <splitdrv/xenbus_driver.h>

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

/* The time of the current polling round (main.c). */
extern uint64_t nb_now_ms;

struct nb_stats {
	uint64_t tx_packets, tx_bytes; /* from the guest */
	uint64_t rx_packets, rx_bytes; /* to the guest */
	uint64_t tx_dropped; /* malformed frames from the guest */
	uint64_t rx_dropped; /* no receive buffer posted (starved) */
	uint64_t rx_stalls; /* times it stalled (NB_RX_STALL_MS) */
	uint64_t mcast_refused; /* groups beyond NB_MCAST_MAX */
	uint64_t errors; /* grants that failed */
};

struct nb_options {
	struct rte_mempool *pool;
	bool verbose;
	bool base_protocol; /* offer only the base protocol (--base-protocol) */
};

/* One vif, connected or not. */
struct nb_vif {
	struct sdrv_xenbus_device *dev;
	const struct nb_options *opt;
	char name[32]; /* "vif 1/0" */
	struct rte_ether_addr mac; /* the guest's, from "mac" */
	bool connected;
	bool disabled; /* an impossible ring state: this vif stops */
	/* The frontend says Connected to a netback that died before us: its
	 * rings hold that one's indices.  We wait for it to connect afresh. */
	bool front_stale;
	struct sdrv_xenbus_ring tx_ring, rx_ring;
	struct sdrv_ring_back tx, rx;
	/* The guest's channel for both rings, or one each (split event
	 * channels: tx_port != rx_port). */
	sdrv_evtchn_port_t tx_port, rx_port;
	bool sg; /* the guest takes frames over several buffers (feature-sg) */
	/* request-multicast-control: it gets only the groups it added. */
	bool mcast_control;
	struct rte_ether_addr mcast[NB_MCAST_MAX];
	unsigned nr_mcast;
	bool notify; /* responses pushed that asked for a notify */
	/* Frames for the guest waiting for it to post receive buffers (a
	 * reference each), oldest first: a short stall drops nothing. */
	struct rte_mbuf *waiting[NB_RX_WAITING];
	unsigned wait_head, nr_waiting;
	uint64_t rx_progress_ms; /* buffers last taken, or frames began to wait */
	bool rx_stalled; /* see NB_RX_STALL_MS */
	struct nb_stats stats;
	struct nb_vif *next_gone; /* counters of vifs gone, for exit */
};

/* ---- vif.c ---- */
void nb_driver_init(const struct nb_options *opt);
extern const struct sdrv_xenbus_driver nb_driver;
typedef void (*nb_vif_fn)(struct nb_vif *vif, bool gone, void *arg);
void nb_for_each_vif(struct sdrv_xenbus_bus *bus, nb_vif_fn fn, void *arg);
void nb_forget_gone(void);
/* The vifs that move frames now (connected, not disabled), up to @max,
 * into @out; the removed ones are not walked (the polling loop calls it
 * every round).  Return: how many. */
unsigned nb_live_vifs(struct sdrv_xenbus_bus *bus, struct nb_vif **out,
		      unsigned max);

/* ---- vif_io.c ---- */
/* Up to NB_BURST frames the guest sent, checked, into @out (mbufs from
 * @pool).  Return: how many. */
unsigned nb_vif_take_tx(struct nb_vif *vif, struct rte_mbuf **out);
/* Queue @m for the guest's posted receive buffers: copied a burst at a
 * time, when NB_BURST wait or at the round's end (nb_vif_flush()).  With
 * no buffer posted, up to NB_RX_WAITING frames wait for the guest to post
 * some; beyond, @m is dropped and counted.  Consumes @m (one reference). */
void nb_vif_deliver(struct nb_vif *vif, struct rte_mbuf *m);
/* Deliver what waits for receive buffers.  Return: frames delivered. */
unsigned nb_vif_deliver_waiting(struct nb_vif *vif);
/* Whether frames wait for buffers (and, if so, ask the guest to notify
 * when it posts some). */
bool nb_vif_rx_waiting(struct nb_vif *vif);
/* Milliseconds until the frames waiting for @vif's buffers stall (0: due
 * now), or -1 when none wait. */
int nb_vif_rx_stall_in_ms(const struct nb_vif *vif);
/* Let go of every frame waiting (the vif disconnects). */
void nb_vif_drop_waiting(struct nb_vif *vif);
/* Copy what waits into posted buffers, push the responses of this round
 * and notify the guest if it asked.  Return: frames delivered. */
unsigned nb_vif_flush(struct nb_vif *vif);
/* Whether the guest has transmit requests waiting (and, if not, ask it
 * to notify when it adds some). */
bool nb_vif_tx_pending(struct nb_vif *vif);

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

/* ---- fdb.c: the forwarding table ---- */
#define NB_FDB_SIZE 4096u /* entries; a full table floods, never grows */
#define NB_FDB_AGE_MS 300000u /* Linux bridges' default ageing */
/* Where a frame goes: a vif, or a DPDK port (vif NULL). */
struct nb_where {
	struct nb_vif *vif;
	uint16_t port;
};
void nb_fdb_learn(const struct rte_ether_addr *mac, struct nb_where from,
		  uint64_t now_ms);
/* Return: true with *@to for a known unicast @mac; false: flood. */
bool nb_fdb_lookup(const struct rte_ether_addr *mac, uint64_t now_ms,
		   struct nb_where *to);
/* Forget every entry that leads to @vif (it went). */
void nb_fdb_forget_vif(const struct nb_vif *vif);

#endif /* NETBACK_H */
