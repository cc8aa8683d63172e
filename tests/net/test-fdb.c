/* SPDX-License-Identifier: MIT */
/*
 * netback-dpdk's forwarding table (netback/fdb.c) on its own: learning,
 * moving, ageing, a bounded probe chain that floods rather than grows,
 * entries of a vif gone that do not hide the MACs beyond them, and the
 * per-round memo that lets a burst of one flow skip the table.
 *
 * The file is compiled in here, so that the test can pick MACs whose
 * hashes collide (its hash() is static).
 */
#include <criterion/criterion.h>

#include "../../netback/fdb.c"

static struct nb_vif vif_a, vif_b;
static const struct nb_where at_a = { .vif = &vif_a };
static const struct nb_where at_b = { .vif = &vif_b };
static const uint64_t T0 = 1000000; /* ms: any time past an age */

static struct rte_ether_addr mac_n(uint32_t n)
{
	/* locally administered unicast */
	return (struct rte_ether_addr){ .addr_bytes = { 0x02, 0x00, (uint8_t)(n >> 24),
							(uint8_t)(n >> 16), (uint8_t)(n >> 8),
							(uint8_t)n } };
}

static uint32_t slot_of(const struct rte_ether_addr *mac)
{
	return hash(mac_key(mac)) % NB_FDB_SIZE;
}

/* @n MACs, from @from on, whose first probe is the same slot. */
static void colliding(uint32_t from, struct rte_ether_addr *out, unsigned n)
{
	uint32_t want = slot_of(&(struct rte_ether_addr){ 0 });

	for (unsigned got = 0; got < n; from++) {
		struct rte_ether_addr m = mac_n(from);

		if (slot_of(&m) == want)
			out[got++] = m;
	}
}

/* A lookup with a memo of its own (no earlier round's answer). */
static bool find(const struct rte_ether_addr *mac, uint64_t now, struct nb_where *to)
{
	struct nb_fdb_memo memo;

	nb_fdb_memo_reset(&memo);
	return nb_fdb_lookup(&memo, mac, now, to);
}

static void learn(const struct rte_ether_addr *mac, struct nb_where from, uint64_t now)
{
	struct nb_fdb_memo memo;

	nb_fdb_memo_reset(&memo);
	nb_fdb_learn(&memo, mac, from, now);
}

static void forget_everything(void)
{
	memset(table, 0, sizeof(table));
}

TestSuite(net_fdb, .init = forget_everything);

Test(net_fdb, a_mac_is_found_where_it_was_learnt_and_follows_a_move)
{
	struct rte_ether_addr m = mac_n(1);
	struct nb_where to;

	cr_assert_not(find(&m, T0, &to), "an unknown MAC floods");
	learn(&m, at_a, T0);
	cr_assert(find(&m, T0, &to) && nb_where_same(to, at_a));
	learn(&m, at_b, T0 + 1);
	cr_assert(find(&m, T0 + 1, &to) && nb_where_same(to, at_b),
		  "a MAC seen on another vif is found there");
	learn(&m, (struct nb_where){ .port = 3 }, T0 + 2);
	cr_assert(find(&m, T0 + 2, &to) && !to.vif && to.port == 3);
}

Test(net_fdb, group_addresses_are_never_learnt_nor_found)
{
	struct rte_ether_addr group = { .addr_bytes = { 0x01, 0x00, 0x5e, 0, 0, 1 } };
	struct rte_ether_addr bcast = { .addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	struct nb_where to;

	learn(&group, at_a, T0);
	learn(&bcast, at_a, T0);
	cr_assert_not(find(&group, T0, &to));
	cr_assert_not(find(&bcast, T0, &to));
}

Test(net_fdb, an_entry_ages_out_and_a_frame_brings_it_back)
{
	struct rte_ether_addr m = mac_n(7);
	struct nb_where to;

	learn(&m, at_a, T0);
	cr_assert(find(&m, T0 + NB_FDB_AGE_MS - 1, &to));
	cr_assert_not(find(&m, T0 + NB_FDB_AGE_MS, &to), "an entry not refreshed ages out");
	learn(&m, at_b, T0 + NB_FDB_AGE_MS);
	cr_assert(find(&m, T0 + NB_FDB_AGE_MS, &to) && nb_where_same(to, at_b));
	/* Seen again every second: it lives on past the first age. */
	for (uint64_t t = T0 + NB_FDB_AGE_MS; t < T0 + 3 * NB_FDB_AGE_MS; t += 1000)
		learn(&m, at_b, t);
	cr_assert(find(&m, T0 + 3 * NB_FDB_AGE_MS, &to));
}

Test(net_fdb, a_full_probe_chain_floods_rather_than_grows)
{
	struct rte_ether_addr m[PROBES + 1];
	struct nb_where to;

	colliding(100, m, PROBES + 1);
	for (unsigned i = 0; i <= PROBES; i++)
		learn(&m[i], at_a, T0);
	for (unsigned i = 0; i < PROBES; i++)
		cr_assert(find(&m[i], T0, &to), "MAC %u of a chain of %u", i, PROBES);
	cr_assert_not(find(&m[PROBES], T0, &to), "one more than a chain holds floods");
	/* Once one ages out, its slot is taken. */
	learn(&m[PROBES], at_a, T0 + NB_FDB_AGE_MS + 1);
	cr_assert(find(&m[PROBES], T0 + NB_FDB_AGE_MS + 1, &to));
}

Test(net_fdb, a_vif_gone_does_not_hide_the_macs_beyond_its_entries)
{
	struct rte_ether_addr m[3];
	struct nb_where to;

	colliding(5000, m, 3);
	learn(&m[0], at_a, T0); /* the chain's first slot */
	learn(&m[1], at_b, T0); /* the second */
	learn(&m[2], at_a, T0); /* the third */
	nb_fdb_forget_vif(&vif_a);
	cr_assert_not(find(&m[0], T0, &to), "a gone vif's MAC floods");
	cr_assert_not(find(&m[2], T0, &to));
	cr_assert(find(&m[1], T0, &to) && nb_where_same(to, at_b),
		  "the MAC after a forgotten slot is still found");
	/* The forgotten slot is used again, and the chain still holds. */
	learn(&m[2], at_b, T0 + 1);
	cr_assert(find(&m[2], T0 + 1, &to) && nb_where_same(to, at_b));
	cr_assert(find(&m[1], T0 + 1, &to) && nb_where_same(to, at_b));
	cr_assert_eq(table[slot_of(&m[0])].mac, mac_key(&m[2]),
		     "the first dead slot of the chain is reused");
}

Test(net_fdb, a_round_that_learns_a_destination_finds_it_at_once)
{
	struct rte_ether_addr x = mac_n(42), y = mac_n(43);
	struct nb_fdb_memo memo;
	struct nb_where to;

	nb_fdb_memo_reset(&memo);
	cr_assert_not(nb_fdb_lookup(&memo, &x, T0, &to));
	/* A frame from x in the same round: the memo's "unknown" is stale. */
	nb_fdb_learn(&memo, &x, at_b, T0);
	cr_assert(nb_fdb_lookup(&memo, &x, T0, &to) && nb_where_same(to, at_b));
	/* The same source on another vif within the round moves it. */
	nb_fdb_learn(&memo, &x, at_a, T0);
	cr_assert(nb_fdb_lookup(&memo, &x, T0, &to) && nb_where_same(to, at_a));
	cr_assert(find(&x, T0, &to) && nb_where_same(to, at_a), "the table agrees");
	/* The memo answers a repeated lookup without the table: what
	 * another worker changes in between is seen next round. */
	learn(&y, at_b, T0);
	nb_fdb_memo_reset(&memo);
	cr_assert(nb_fdb_lookup(&memo, &y, T0, &to) && nb_where_same(to, at_b));
	learn(&y, at_a, T0);
	cr_assert(nb_fdb_lookup(&memo, &y, T0, &to) && nb_where_same(to, at_b));
	nb_fdb_memo_reset(&memo);
	cr_assert(nb_fdb_lookup(&memo, &y, T0, &to) && nb_where_same(to, at_a));
}
