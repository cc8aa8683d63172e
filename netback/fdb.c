/* SPDX-License-Identifier: MIT */
/*
 * The switch's forwarding table: source MACs learnt from the frames each
 * vif or port sends, aged out after NB_FDB_AGE_MS.  Open addressing in a
 * fixed table: a guest sending from a million MACs fills it and its frames
 * are flooded, as a full Linux bridge's are; nothing is ever allocated.
 *
 * Every worker looks up and learns at once.  Lookups take no lock: an
 * entry is read between two reads of its sequence count, and read again
 * if a writer was inside.  Writers (a MAC new, or moved to another vif or
 * port) take the table's lock and make the count odd while they write.  A
 * MAC seen again where it was only refreshes its time, at most once a
 * second, so that busy flows do not bounce the entry's cache line between
 * lcores.
 *
 * A slot once used is never free again (a vif gone leaves its entries
 * dead, to be reused), so a probe that meets a free slot stops there: a
 * MAC nobody learnt costs one read, not PROBES.  And a worker remembers
 * the last source it learnt and the last destination it looked up in its
 * round (struct nb_fdb_memo): a burst of one flow reads the table once.
 */
#include "netback.h"

#include <string.h>

/* A slot's state: FREE ends a probe (no MAC is ever further on). */
enum { FREE, USED, DEAD };

struct fdb_entry {
	uint32_t seq; /* odd while a writer changes the entry */
	uint8_t state;
	uint64_t mac; /* the address in the low 48 bits */
	struct nb_vif *vif;
	uint16_t port;
	uint64_t seen_ms;
};

static struct fdb_entry table[NB_FDB_SIZE];
static rte_spinlock_t writers = RTE_SPINLOCK_INITIALIZER;
#define PROBES 8u /* slots looked at per lookup */
#define REFRESH_MS 1000u /* a live entry's time is rewritten this often */

/* The MAC as a number.  Two loads put together in registers: a 6-byte
 * memcpy into a zeroed word stores twice and reloads 8 bytes, which no
 * store forwards (measured: a stall of most of nb_fdb_learn's time). */
static uint64_t mac_key(const struct rte_ether_addr *mac)
{
	uint32_t lo;
	uint16_t hi;

	memcpy(&lo, mac->addr_bytes, 4);
	memcpy(&hi, mac->addr_bytes + 4, 2);
	return lo | (uint64_t)hi << 32;
}

static uint32_t hash(uint64_t key)
{
	key *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(key >> 32);
}

/* A consistent copy of @e.  No fences (ThreadSanitizer models none):
 * the fields are loaded with acquire, so the second read of the sequence
 * cannot come before them, and a field a writer already changed carries
 * its odd sequence along (the release stores in write_entry()).  On x86
 * every one of these is a plain load. */
static void read_entry(const struct fdb_entry *e, struct fdb_entry *out)
{
	uint32_t before, after;

	do {
		/* pairs with the last release store in write_entry() */
		before = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
		out->state = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
		out->mac = __atomic_load_n(&e->mac, __ATOMIC_ACQUIRE);
		out->vif = __atomic_load_n(&e->vif, __ATOMIC_ACQUIRE);
		out->port = __atomic_load_n(&e->port, __ATOMIC_ACQUIRE);
		out->seen_ms = __atomic_load_n(&e->seen_ms, __ATOMIC_ACQUIRE);
		after = __atomic_load_n(&e->seq, __ATOMIC_RELAXED);
	} while ((before & 1) || before != after);
}

/* Under the writers' lock.  Each field's release store orders the odd
 * sequence before it (pairs with the acquire loads in read_entry()). */
static void write_entry(struct fdb_entry *e, uint8_t state, uint64_t mac,
			struct nb_where where, uint64_t now_ms)
{
	__atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&e->state, state, __ATOMIC_RELEASE);
	__atomic_store_n(&e->mac, mac, __ATOMIC_RELEASE);
	__atomic_store_n(&e->vif, where.vif, __ATOMIC_RELEASE);
	__atomic_store_n(&e->port, where.port, __ATOMIC_RELEASE);
	__atomic_store_n(&e->seen_ms, now_ms, __ATOMIC_RELEASE);
	__atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELEASE);
}

static bool live(const struct fdb_entry *e, uint64_t now_ms)
{
	return e->state == USED && now_ms - e->seen_ms < NB_FDB_AGE_MS;
}

void nb_fdb_memo_reset(struct nb_fdb_memo *memo)
{
	memo->learnt = false;
	memo->looked = false;
}

void nb_fdb_learn(struct nb_fdb_memo *memo, const struct rte_ether_addr *mac,
		  struct nb_where from, uint64_t now_ms)
{
	uint64_t key = mac_key(mac);
	uint32_t h = hash(key);
	struct fdb_entry *free_slot = NULL, c;

	if (!rte_is_unicast_ether_addr(mac))
		return; /* a source is never a group address */
	if (memo->learnt && memo->src == key && nb_where_same(memo->from, from))
		return; /* this round already did */
	memo->learnt = true;
	memo->src = key;
	memo->from = from;
	/* Known where it is: refresh its time now and then, no lock. */
	for (uint32_t i = 0; i < PROBES; i++) {
		struct fdb_entry *e = &table[(h + i) % NB_FDB_SIZE];

		read_entry(e, &c);
		if (c.state == FREE)
			break;
		if (c.state == USED && c.mac == key &&
		    nb_where_same((struct nb_where){ .vif = c.vif, .port = c.port }, from)) {
			if (now_ms - c.seen_ms >= REFRESH_MS)
				__atomic_store_n(&e->seen_ms, now_ms, __ATOMIC_RELEASE);
			return;
		}
	}
	/* The table changes: what this round looked up may have too. */
	memo->looked = false;
	rte_spinlock_lock(&writers);
	for (uint32_t i = 0; i < PROBES; i++) {
		struct fdb_entry *e = &table[(h + i) % NB_FDB_SIZE];

		if (e->state == USED && e->mac == key) {
			write_entry(e, USED, key, from, now_ms);
			rte_spinlock_unlock(&writers);
			return;
		}
		if (!free_slot && !live(e, now_ms))
			free_slot = e;
		if (e->state == FREE)
			break;
	}
	/* Full here: this MAC's frames flood. */
	if (free_slot)
		write_entry(free_slot, USED, key, from, now_ms);
	rte_spinlock_unlock(&writers);
}

bool nb_fdb_lookup(struct nb_fdb_memo *memo, const struct rte_ether_addr *mac,
		   uint64_t now_ms, struct nb_where *to)
{
	uint64_t key = mac_key(mac);
	uint32_t h = hash(key);

	if (!rte_is_unicast_ether_addr(mac))
		return false;
	if (memo->looked && memo->dst == key) {
		if (memo->found)
			*to = memo->to;
		return memo->found;
	}
	memo->looked = true;
	memo->dst = key;
	memo->found = false;
	for (uint32_t i = 0; i < PROBES; i++) {
		struct fdb_entry c;

		read_entry(&table[(h + i) % NB_FDB_SIZE], &c);
		if (c.state == FREE)
			break;
		if (live(&c, now_ms) && c.mac == key) {
			memo->to = (struct nb_where){ .vif = c.vif, .port = c.port };
			memo->found = true;
			break;
		}
	}
	if (memo->found)
		*to = memo->to;
	return memo->found;
}

void nb_fdb_forget_vif(const struct nb_vif *vif)
{
	rte_spinlock_lock(&writers);
	for (uint32_t i = 0; i < NB_FDB_SIZE; i++)
		if (table[i].state == USED && table[i].vif == vif)
			write_entry(&table[i], DEAD, 0, (struct nb_where){ 0 }, 0);
	rte_spinlock_unlock(&writers);
}
