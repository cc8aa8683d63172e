/* SPDX-License-Identifier: MIT */
/*
 * Per-vif counters through DPDK's telemetry (dpdk-telemetry.py, or any
 * client of the telemetry socket):
 *
 *   /netback/vifs          ["vif1_0", "vif2_0", ...]
 *   /netback/vif,vif1_0    {"tx_packets": ..., "rx_packets": ..., ...}
 *
 * The command runs in DPDK's telemetry thread, which must never walk the
 * vifs the polling loop adds and frees: the loop publishes a copy of the
 * counters (nb_telemetry_publish(), cheap, every so often and before it
 * sleeps) and the command reads only that copy, under a lock.
 */
#include "netback.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

struct snap {
	char key[24]; /* "vif1_0": telemetry's names take no spaces */
	struct nb_stats stats;
	bool gone;
	unsigned nr_queues;
	uint64_t queue_tx[NB_MAX_QUEUES], queue_rx[NB_MAX_QUEUES];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct snap snaps[NB_MAX_VIFS];
static unsigned nr_snaps;

static void take(struct nb_vif *v, bool gone, void *arg)
{
	unsigned *n = arg;

	unsigned domid = 0, devid = 0;

	if (*n == NB_MAX_VIFS)
		return;
	/* From the name: a vif gone has no device left to ask.  The sum
	 * of the vifs gone earlier is "gone_earlier". */
	if (sscanf(v->name, "vif %u/%u", &domid, &devid) == 2)
		snprintf(snaps[*n].key, sizeof(snaps[*n].key), "vif%u_%u", domid, devid);
	else
		snprintf(snaps[*n].key, sizeof(snaps[*n].key), "gone_earlier");
	nb_vif_stats(v, &snaps[*n].stats);
	snaps[*n].gone = gone;
	snaps[*n].nr_queues = v->nr_queues;
	for (unsigned q = 0; q < v->nr_queues; q++) {
		snaps[*n].queue_tx[q] = v->queues[q].stats.tx_packets;
		snaps[*n].queue_rx[q] = v->queues[q].stats.rx_packets;
	}
	(*n)++;
}

void nb_telemetry_publish(struct sdrv_xenbus_bus *bus)
{
	unsigned n = 0;

	pthread_mutex_lock(&lock);
	nb_for_each_vif(bus, take, &n);
	nr_snaps = n;
	pthread_mutex_unlock(&lock);
}

/* /netback/vifs: the vifs' names, as /ethdev/list lists ports. */
static int vifs_cmd(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd, (void)params;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < nr_snaps; i++)
		rte_tel_data_add_array_string(d, snaps[i].key);
	pthread_mutex_unlock(&lock);
	return 0;
}

/* @n per-queue counters as an array under @name (nothing if no memory). */
static void add_queue_counts(struct rte_tel_data *d, const char *name,
			     const uint64_t *counts, unsigned n)
{
	struct rte_tel_data *a = rte_tel_data_alloc();

	if (!a)
		return;
	rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
	for (unsigned q = 0; q < n; q++)
		rte_tel_data_add_array_u64(a, counts[q]);
	if (rte_tel_data_add_dict_container(d, name, a, 0))
		rte_tel_data_free(a);
}

/* /netback/vif,NAME: one vif's counters, as /ethdev/stats,N, and its
 * queues' packets each way. */
static int vif_cmd(const char *cmd, const char *params, struct rte_tel_data *d)
{
	int found = -EINVAL;

	(void)cmd;
	if (!params)
		return -EINVAL;
	pthread_mutex_lock(&lock);
	for (unsigned i = 0; i < nr_snaps; i++) {
		const struct nb_stats *s = &snaps[i].stats;

		if (strcmp(params, snaps[i].key))
			continue;
		rte_tel_data_start_dict(d);
		rte_tel_data_add_dict_u64(d, "tx_packets", s->tx_packets);
		rte_tel_data_add_dict_u64(d, "tx_bytes", s->tx_bytes);
		rte_tel_data_add_dict_u64(d, "rx_packets", s->rx_packets);
		rte_tel_data_add_dict_u64(d, "rx_bytes", s->rx_bytes);
		rte_tel_data_add_dict_u64(d, "malformed", s->tx_dropped);
		rte_tel_data_add_dict_u64(d, "starved", s->rx_dropped);
		rte_tel_data_add_dict_u64(d, "stalls", s->rx_stalls);
		rte_tel_data_add_dict_u64(d, "grant_errors", s->errors);
		rte_tel_data_add_dict_u64(d, "tx_lent", s->tx_lent);
		rte_tel_data_add_dict_u64(d, "tx_lent_copied", s->tx_lent_copied);
		rte_tel_data_add_dict_u64(d, "rx_grants_kept", s->rx_grants_kept);
		rte_tel_data_add_dict_u64(d, "multicast_refused", s->mcast_refused);
		rte_tel_data_add_dict_u64(d, "gone", snaps[i].gone);
		rte_tel_data_add_dict_u64(d, "queues", snaps[i].nr_queues);
		add_queue_counts(d, "queue_tx_packets", snaps[i].queue_tx,
				 snaps[i].nr_queues);
		add_queue_counts(d, "queue_rx_packets", snaps[i].queue_rx,
				 snaps[i].nr_queues);
		found = 0;
		break;
	}
	pthread_mutex_unlock(&lock);
	return found;
}

void nb_telemetry_init(void)
{
	/* Help texts under RTE_TEL_MAX_STRING_LEN, or the command is refused. */
	if (rte_telemetry_register_cmd("/netback/vifs", vifs_cmd,
				       "Returns the vifs served and gone, by name (vifDOMID_DEVID). No parameters") ||
	    rte_telemetry_register_cmd("/netback/vif", vif_cmd,
				       "Returns a vif's counters. Parameter: its name (vifDOMID_DEVID)"))
		fprintf(stderr, "netback-dpdk: telemetry: the /netback commands were refused\n");
}
