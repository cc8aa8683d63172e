/* SPDX-License-Identifier: MIT */
/*
 * The DPDK ports the EAL options made (--vdev net_tap0,..., or NICs): the
 * switch's uplinks.  Worker 0 reads their one receive queue; every worker
 * sends on a transmit queue of its own, or, where the driver offers fewer
 * than there are workers, on the one queue under the port's lock.  Frames
 * for a port gather in the worker's buffer and go in bursts: when it
 * fills, and at the end of each round; what the port does not take is
 * freed and counted ("not taken").
 */
#include "netback.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>

uint16_t nb_nr_ports;
uint16_t nb_port_ids[RTE_MAX_ETHPORTS];
static unsigned nr_workers;
/* Ports that wake us (receive interrupts on an fd) rather than being
 * polled while we sleep. */
static bool port_wakes[RTE_MAX_ETHPORTS];
/* Ports with one transmit queue for every worker, under the lock. */
static bool tx_shared[RTE_MAX_ETHPORTS];
static rte_spinlock_t tx_lock[RTE_MAX_ETHPORTS];
/* Ports that may be handed a loan (driver_copies()). */
static bool lends[RTE_MAX_ETHPORTS];
static struct rte_mempool *copy_pool; /* for the copies of loans */

/* Drivers that copy what they send with the CPU before their transmit
 * call returns, and never DMA: a lent guest page is safe with them. */
static bool driver_copies(uint16_t port)
{
	static const char *const copiers[] = { "net_null", "net_tap", "net_af_packet",
					       "net_pcap" };
	struct rte_eth_dev_info info;

	if (rte_eth_dev_info_get(port, &info) || !info.driver_name)
		return false;
	for (size_t i = 0; i < sizeof(copiers) / sizeof(copiers[0]); i++)
		if (!strcmp(info.driver_name, copiers[i]))
			return true;
	return false;
}

static int configure(uint16_t port, uint16_t tx_queues)
{
	struct rte_eth_conf conf = { 0 };
	int err;

	/* Receive interrupts where the driver has them (net_tap does): an
	 * idle switch then sleeps instead of polling. */
	conf.intr_conf.rxq = 1;
	err = rte_eth_dev_configure(port, 1, tx_queues, &conf);
	port_wakes[port] = !err;
	if (err) {
		conf.intr_conf.rxq = 0;
		err = rte_eth_dev_configure(port, 1, tx_queues, &conf);
	}
	return err;
}

static int port_setup(uint16_t port, struct rte_mempool *pool)
{
	uint16_t txqs = (uint16_t)nr_workers;
	int err = configure(port, txqs);

	if (err && txqs > 1) {
		txqs = 1;
		err = configure(port, txqs);
		tx_shared[port] = true;
		rte_spinlock_init(&tx_lock[port]);
	}
	if (!err)
		err = rte_eth_rx_queue_setup(port, 0, 512, rte_eth_dev_socket_id(port),
					     NULL, pool);
	for (uint16_t q = 0; !err && q < txqs; q++)
		err = rte_eth_tx_queue_setup(port, q, 512,
					     rte_eth_dev_socket_id(port), NULL);
	for (unsigned i = 0; !err && i < nr_workers; i++) {
		struct nb_worker *w = nb_worker(i);

		w->port_tx[port] = rte_zmalloc_socket("netback tx buffer",
			RTE_ETH_TX_BUFFER_SIZE(NB_BURST), 0, rte_eth_dev_socket_id(port));
		if (!w->port_tx[port])
			err = -ENOMEM;
		if (!err)
			err = rte_eth_tx_buffer_init(w->port_tx[port], NB_BURST);
		if (!err)
			err = rte_eth_tx_buffer_set_err_callback(w->port_tx[port],
				rte_eth_tx_buffer_count_callback,
				&w->port_tx_dropped[port]);
	}
	if (!err)
		err = rte_eth_dev_start(port);
	if (!err)
		rte_eth_promiscuous_enable(port); /* a switch port */
	return err;
}

int nb_ports_init(const struct nb_options *opt, uint16_t *port_failed)
{
	uint16_t port;

	nr_workers = opt->nr_workers;
	copy_pool = opt->pool;
	RTE_ETH_FOREACH_DEV(port) {
		char name[RTE_ETH_NAME_MAX_LEN] = "?";
		int err = port_setup(port, opt->pool);

		if (err) {
			*port_failed = port;
			return err;
		}
		nb_port_ids[nb_nr_ports++] = port;
		lends[port] = driver_copies(port);
		rte_eth_dev_get_name_by_port(port, name);
		if (opt->verbose)
			fprintf(stderr, "netback-dpdk: port %u (%s) up%s%s\n", port, name,
				tx_shared[port] ? ", one transmit queue for all workers" : "",
				lends[port] ? "" : ", guests' frames copied for it");
	}
	return 0;
}

void nb_port_send_burst(struct nb_worker *w, uint16_t port, struct rte_mbuf **m,
			unsigned n)
{
	struct rte_eth_dev_tx_buffer *buf = w->port_tx[port];
	uint16_t txq = (uint16_t)w->index;

	/* A guest's page lent to a driver that may keep it, or read it by
	 * DMA (it is not DMA-mapped): a copy goes instead. */
	for (unsigned k = 0; !lends[port] && k < n; k++) {
		struct rte_mbuf *c;

		if (!nb_is_loan(m[k]))
			continue;
		c = nb_loan_settle(m[k], copy_pool);

		if (!c) {
			rte_pktmbuf_free(m[k]);
			w->port_tx_dropped[port]++;
		}
		m[k] = c; /* NULL: not sent */
	}
	if (tx_shared[port]) {
		rte_spinlock_lock(&tx_lock[port]);
		txq = 0;
	}
	for (unsigned k = 0; k < n; k++)
		if (m[k])
			rte_eth_tx_buffer(port, txq, buf, m[k]);
	if (tx_shared[port])
		rte_spinlock_unlock(&tx_lock[port]);
}

void nb_port_send(struct nb_worker *w, uint16_t port, struct rte_mbuf *m)
{
	nb_port_send_burst(w, port, &m, 1);
}

void nb_ports_flush(struct nb_worker *w)
{
	for (uint16_t i = 0; i < nb_nr_ports; i++) {
		uint16_t port = nb_port_ids[i];

		if (!w->port_tx[port]->length)
			continue;
		if (!tx_shared[port]) {
			rte_eth_tx_buffer_flush(port, (uint16_t)w->index, w->port_tx[port]);
			continue;
		}
		rte_spinlock_lock(&tx_lock[port]);
		rte_eth_tx_buffer_flush(port, 0, w->port_tx[port]);
		rte_spinlock_unlock(&tx_lock[port]);
	}
}

bool nb_ports_watch(int ep, uint64_t tag)
{
	bool polled = false;

	for (uint16_t i = 0; i < nb_nr_ports; i++) {
		uint16_t port = nb_port_ids[i];
		int fd = port_wakes[port] ? rte_eth_dev_rx_intr_ctl_q_get_fd(port, 0)
					  : -1;
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

		if (fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
			port_wakes[port] = false;
			polled = true;
		}
	}
	return polled;
}

void nb_ports_wake_us(bool on)
{
	for (uint16_t i = 0; i < nb_nr_ports; i++)
		if (port_wakes[nb_port_ids[i]]) {
			if (on)
				rte_eth_dev_rx_intr_enable(nb_port_ids[i], 0);
			else
				rte_eth_dev_rx_intr_disable(nb_port_ids[i], 0);
		}
}

void nb_ports_print(void)
{
	for (uint16_t i = 0; i < nb_nr_ports; i++) {
		uint16_t port = nb_port_ids[i];
		struct rte_eth_stats st;
		char name[RTE_ETH_NAME_MAX_LEN] = "?";
		uint64_t not_taken = 0, runts = 0;

		for (unsigned k = 0; k < nr_workers; k++) {
			not_taken += nb_worker(k)->port_tx_dropped[port];
			runts += nb_worker(k)->port_rx_runts[port];
		}
		rte_eth_dev_get_name_by_port(port, name);
		if (!rte_eth_stats_get(port, &st))
			printf("netback-dpdk: port %u (%s): in %llu packets, out %llu "
			       "packets, missed %llu, errors %llu, not taken %llu, "
			       "runts %llu\n",
			       port, name, (unsigned long long)st.ipackets,
			       (unsigned long long)st.opackets,
			       (unsigned long long)st.imissed,
			       (unsigned long long)(st.ierrors + st.oerrors),
			       (unsigned long long)not_taken, (unsigned long long)runts);
	}
}

void nb_ports_close(void)
{
	for (uint16_t i = 0; i < nb_nr_ports; i++) {
		rte_eth_dev_stop(nb_port_ids[i]);
		rte_eth_dev_close(nb_port_ids[i]);
	}
}
