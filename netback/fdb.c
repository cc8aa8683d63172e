/* SPDX-License-Identifier: MIT */
/*
 * The switch's forwarding table: source MACs learnt from the frames each
 * vif or port sends, aged out after NB_FDB_AGE_MS.  Open addressing in a
 * fixed table: a guest sending from a million MACs fills it and its frames
 * are flooded, as a full Linux bridge's are; nothing is ever allocated.
 */
#include "netback.h"

#include <string.h>

struct fdb_entry {
	struct rte_ether_addr mac;
	bool used;
	struct nb_where where;
	uint64_t seen_ms;
};

static struct fdb_entry table[NB_FDB_SIZE];
#define PROBES 8u /* slots looked at per lookup */

static uint32_t hash(const struct rte_ether_addr *mac)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < RTE_ETHER_ADDR_LEN; i++)
		h = (h ^ mac->addr_bytes[i]) * 16777619u;
	return h;
}

static bool live(const struct fdb_entry *e, uint64_t now_ms)
{
	return e->used && now_ms - e->seen_ms < NB_FDB_AGE_MS;
}

void nb_fdb_learn(const struct rte_ether_addr *mac, struct nb_where from,
		  uint64_t now_ms)
{
	uint32_t h = hash(mac);
	struct fdb_entry *free_slot = NULL;

	if (!rte_is_unicast_ether_addr(mac))
		return; /* a source is never a group address */
	for (uint32_t i = 0; i < PROBES; i++) {
		struct fdb_entry *e = &table[(h + i) % NB_FDB_SIZE];

		if (e->used && rte_is_same_ether_addr(&e->mac, mac)) {
			e->where = from;
			e->seen_ms = now_ms;
			return;
		}
		if (!free_slot && !live(e, now_ms))
			free_slot = e;
	}
	if (!free_slot)
		return; /* full here: this MAC's frames flood */
	free_slot->mac = *mac;
	free_slot->used = true;
	free_slot->where = from;
	free_slot->seen_ms = now_ms;
}

bool nb_fdb_lookup(const struct rte_ether_addr *mac, uint64_t now_ms,
		   struct nb_where *to)
{
	uint32_t h = hash(mac);

	if (!rte_is_unicast_ether_addr(mac))
		return false;
	for (uint32_t i = 0; i < PROBES; i++) {
		struct fdb_entry *e = &table[(h + i) % NB_FDB_SIZE];

		if (live(e, now_ms) && rte_is_same_ether_addr(&e->mac, mac)) {
			*to = e->where;
			return true;
		}
	}
	return false;
}

void nb_fdb_forget_vif(const struct nb_vif *vif)
{
	for (uint32_t i = 0; i < NB_FDB_SIZE; i++)
		if (table[i].used && table[i].where.vif == vif)
			table[i].used = false;
}
