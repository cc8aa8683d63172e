/* SPDX-License-Identifier: MIT */
/*
 * The node database of the daemon, and transactions over it.
 *
 * A node is one immutable allocation (path, value, permissions, children's
 * names); a change builds a new node and swaps it in, which makes copying a
 * node into a transaction and dropping it again cheap and leak-proof.  Nodes
 * are found by full path in a hash table.  Every node carries the generation
 * at which it last changed (a store-wide counter): a transaction remembers
 * the generation of every path it touched (0 for "absent") and commits only
 * if none of them moved, else EAGAIN.  This is the conflict rule of Xen's C
 * daemon: only changes to paths the transaction read or wrote conflict.
 *
 * Accounting: each domain's node count and bytes (owner = perms[0]) for
 * the quotas.
 * Single-threaded: the daemon's loop owns the store.
 */
#ifndef XSD_STORE_H
#define XSD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <splitdrv/xs.h>

/* What a chained hash table keyed by path holds: the store's nodes and a
 * transaction's entries both begin with one, and share the table code. */
struct xs_key {
	struct xs_key *next; /* hash chain */
	uint32_t hash;
	uint32_t path_len;
	char *path; /* NUL-terminated */
};

struct xs_node {
	struct xs_key key; /* first: the table hands back keys */
	uint32_t value_len;
	uint32_t children_len; /* bytes of NUL-terminated names */
	uint32_t nr_perms;
	uint64_t gen;
	struct sdrv_xs_perm *perms;
	char *value; /* NUL-terminated for convenience, not on the wire */
	char *children;
};

/* Bytes the node counts against the node-size quota: value, children's
 * names and permissions, as Xen's daemon counts its records. */
size_t xs_node_size(const struct xs_node *n);

/* Build a node; any of the parts may be NULL/0.  Return: NULL on ENOMEM. */
struct xs_node *xs_node_build(const char *path, size_t path_len,
			      const void *value, size_t value_len,
			      const struct sdrv_xs_perm *perms, size_t nr_perms,
			      const char *children, size_t children_len);
/* Copy of @n with another value / permissions / children list. */
struct xs_node *xs_node_with_value(const struct xs_node *n, const void *value,
				   size_t len);
struct xs_node *xs_node_with_perms(const struct xs_node *n,
				   const struct sdrv_xs_perm *perms, size_t nr);
struct xs_node *xs_node_with_child(const struct xs_node *n, const char *name,
				   size_t len);
struct xs_node *xs_node_without_child(const struct xs_node *n,
				      const char *name, size_t len);
void xs_node_free(struct xs_node *n);

struct xs_table {
	struct xs_key **buckets;
	size_t nr_buckets; /* power of two */
	size_t nr; /* entries */
};

struct xs_tx;

/* What one domain's nodes take. */
struct xs_usage {
	uint32_t nodes;
	size_t bytes; /* paths, values, children's names, permissions */
};

struct xs_store {
	struct xs_table nodes;
	uint64_t next_gen;
	/* Per domain (index domid), for the node and memory quotas. */
	struct xs_usage *owned;
	size_t owned_len;
};

int xs_store_init(struct xs_store *s);
void xs_store_fini(struct xs_store *s);
uint32_t xs_store_owned(const struct xs_store *s, uint16_t domid);
size_t xs_store_owned_bytes(const struct xs_store *s, uint16_t domid);

/*
 * xs_store_disown() - domain @domid is gone: no node may stay reachable by
 * a new domain given the same id.  Nodes it owned pass to domain 0, and
 * entries granting it access are dropped (Xen's rule since XSA-322); its
 * accounting is then zero.  Return: 0 or -ENOMEM (then some nodes may
 * still name it).
 */
int xs_store_disown(struct xs_store *s, uint16_t domid);

/* Bytes @n costs its owner (path included). */
size_t xs_node_bytes(const struct xs_node *n);

/*
 * A view is where an operation reads and writes: the store itself (tx ==
 * NULL) or a transaction's copy over it.
 */
struct xs_view {
	struct xs_store *store;
	struct xs_tx *tx;
};

/* The node at @path or NULL.  In a transaction the access is recorded. */
const struct xs_node *xs_get(struct xs_view v, const char *path, size_t len);
/* Replace or insert @n (ownership passes).  Return: 0 or -ENOMEM. */
int xs_put(struct xs_view v, struct xs_node *n);
/* Remove the node at @path (it must exist). Return: 0 or -ENOMEM. */
int xs_del(struct xs_view v, const char *path, size_t len);

/* Visit every node of the store (not of a transaction), any order. */
void xs_store_foreach(struct xs_store *s,
		      void (*fn)(const struct xs_node *n, void *arg),
		      void *arg);

/* ---- transactions ---- */

/* A change made in a transaction, replayed as watch events at commit. */
struct xs_tx_event {
	struct xs_tx_event *next;
	size_t nr_perms; /* the node's permissions then, for the watchers */
	struct sdrv_xs_perm *perms;
	char *path;
	/* A removal: every path removed, "a\0b\0" (NULL: not a removal). */
	char *removed;
	size_t removed_len;
};

struct xs_tx *xs_tx_new(struct xs_store *s, uint16_t domid);
/* Nodes the transaction added (+) or removed (-) for its domain. */
int64_t xs_tx_owned_delta(const struct xs_tx *tx);
/* Remember an event to fire at commit (@removed as for watch_fire()).
 * Return: 0 or -ENOMEM. */
int xs_tx_add_event(struct xs_tx *tx, const char *path,
		    const struct xs_node *node, const char *removed,
		    size_t removed_len);
struct xs_tx_event *xs_tx_events(struct xs_tx *tx);
/* Commit: 0, or -EAGAIN if a path it touched changed meanwhile (nothing is
 * applied then).  The transaction remains to be freed. */
int xs_tx_commit(struct xs_tx *tx);
void xs_tx_free(struct xs_tx *tx);
/* Bytes held by the transaction's copies (bounded by the caller). */
size_t xs_tx_bytes(const struct xs_tx *tx);
/* Nodes the transaction touched, read or written (bounded by the caller). */
size_t xs_tx_nr_entries(const struct xs_tx *tx);

#endif
