/* SPDX-License-Identifier: MIT */
/*
 * The node database and its transactions (see store.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static uint32_t path_hash(const char *p, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

/* ---- nodes ---- */

size_t xs_node_size(const struct xs_node *n)
{
	return n->value_len + n->children_len +
	       n->nr_perms * sizeof(struct sdrv_xs_perm);
}

struct xs_node *xs_node_build(const char *path, size_t path_len,
			      const void *value, size_t value_len,
			      const struct sdrv_xs_perm *perms, size_t nr_perms,
			      const char *children, size_t children_len)
{
	/* One allocation: struct, perms, path, value, children. */
	size_t size = sizeof(struct xs_node) +
		      nr_perms * sizeof(struct sdrv_xs_perm) + path_len + 1 +
		      value_len + 1 + children_len;
	struct xs_node *n = malloc(size);
	char *p;

	if (!n)
		return NULL;
	n->key.hash = path_hash(path, path_len);
	n->key.path_len = (uint32_t)path_len;
	n->value_len = (uint32_t)value_len;
	n->children_len = (uint32_t)children_len;
	n->nr_perms = (uint32_t)nr_perms;
	n->gen = 0;
	n->key.next = NULL;
	n->perms = (struct sdrv_xs_perm *)(n + 1);
	if (nr_perms)
		memcpy(n->perms, perms, nr_perms * sizeof(*perms));
	p = (char *)(n->perms + nr_perms);
	n->key.path = p;
	memcpy(p, path, path_len);
	p[path_len] = '\0';
	p += path_len + 1;
	n->value = p;
	if (value_len)
		memcpy(p, value, value_len);
	p[value_len] = '\0';
	p += value_len + 1;
	n->children = p;
	if (children && children_len)
		memcpy(p, children, children_len);
	return n;
}

struct xs_node *xs_node_with_value(const struct xs_node *n, const void *value,
				   size_t len)
{
	return xs_node_build(n->key.path, n->key.path_len, value, len, n->perms,
			     n->nr_perms, n->children, n->children_len);
}

struct xs_node *xs_node_with_perms(const struct xs_node *n,
				   const struct sdrv_xs_perm *perms, size_t nr)
{
	return xs_node_build(n->key.path, n->key.path_len, n->value, n->value_len,
			     perms, nr, n->children, n->children_len);
}

struct xs_node *xs_node_with_child(const struct xs_node *n, const char *name,
				   size_t len)
{
	size_t total = n->children_len + len + 1;
	struct xs_node *c = xs_node_build(n->key.path, n->key.path_len, n->value,
					  n->value_len, n->perms, n->nr_perms,
					  NULL, total);

	if (c) {
		memcpy(c->children, n->children, n->children_len);
		memcpy(c->children + n->children_len, name, len);
		c->children[total - 1] = '\0';
	}
	return c;
}

struct xs_node *xs_node_without_child(const struct xs_node *n,
				      const char *name, size_t len)
{
	size_t off = 0;

	/* The new list is the bytes before the name and those after it. */
	while (off < n->children_len) {
		size_t l = strlen(n->children + off);

		if (l == len && memcmp(n->children + off, name, len) == 0) {
			struct xs_node *c = xs_node_build(
				n->key.path, n->key.path_len, n->value, n->value_len,
				n->perms, n->nr_perms, NULL,
				n->children_len - len - 1);

			if (!c)
				return NULL;
			memcpy(c->children, n->children, off);
			memcpy(c->children + off,
				       n->children + off + len + 1,
				       n->children_len - off - len - 1);
			return c;
		}
		off += l + 1;
	}
	return xs_node_build(n->key.path, n->key.path_len, n->value, n->value_len,
			     n->perms, n->nr_perms, n->children,
			     n->children_len);
}

void xs_node_free(struct xs_node *n)
{
	free(n);
}

/* ---- the table ---- */

static struct xs_key **table_slot(struct xs_table *t, const char *path,
				  size_t len, uint32_t hash)
{
	struct xs_key **pp = &t->buckets[hash & (t->nr_buckets - 1)];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->hash == hash && (*pp)->path_len == len &&
		    memcmp((*pp)->path, path, len) == 0)
			break;
	return pp;
}

static int table_grow(struct xs_table *t)
{
	size_t nr = t->nr_buckets * 2;
	struct xs_key **b = calloc(nr, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < t->nr_buckets; i++) {
		struct xs_key *k = t->buckets[i], *next;

		for (; k; k = next) {
			next = k->next;
			k->next = b[k->hash & (nr - 1)];
			b[k->hash & (nr - 1)] = k;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nr_buckets = nr;
	return 0;
}

static int table_init(struct xs_table *t, size_t nr)
{
	t->buckets = calloc(nr, sizeof(*t->buckets));
	t->nr_buckets = nr;
	t->nr = 0;
	return t->buckets ? 0 : -ENOMEM;
}

/* Free every entry with @free_entry, then the buckets. */
static void table_fini(struct xs_table *t, void (*free_entry)(struct xs_key *))
{
	for (size_t i = 0; t->buckets && i < t->nr_buckets; i++) {
		struct xs_key *k = t->buckets[i], *next;

		for (; k; k = next) {
			next = k->next;
			free_entry(k);
		}
	}
	free(t->buckets);
	t->buckets = NULL;
}

/* The entry types begin with their key. */
static struct xs_node *node_of(struct xs_key *k)
{
	return (struct xs_node *)(void *)k;
}

static void free_node_key(struct xs_key *k)
{
	xs_node_free(node_of(k));
}

/* ---- the store ---- */

int xs_store_init(struct xs_store *s)
{
	memset(s, 0, sizeof(*s));
	s->next_gen = 1;
	return table_init(&s->nodes, 1024);
}

void xs_store_fini(struct xs_store *s)
{
	table_fini(&s->nodes, free_node_key);
	free(s->owned);
	s->owned = NULL;
}

uint32_t xs_store_owned(const struct xs_store *s, uint16_t domid)
{
	return domid < s->owned_len ? s->owned[domid].nodes : 0;
}

size_t xs_store_owned_bytes(const struct xs_store *s, uint16_t domid)
{
	return domid < s->owned_len ? s->owned[domid].bytes : 0;
}

size_t xs_node_bytes(const struct xs_node *n)
{
	return n->key.path_len + xs_node_size(n);
}

/* Make room to account for @domid; with @n, count it (delta 1) or stop
 * counting it (delta -1). */
static int owned_add(struct xs_store *s, uint16_t domid,
		     const struct xs_node *n, int delta)
{
	if (domid >= s->owned_len) {
		size_t len = (size_t)domid + 64;
		struct xs_usage *o = realloc(s->owned, len * sizeof(*o));

		if (!o)
			return -ENOMEM;
		memset(o + s->owned_len, 0,
		       (len - s->owned_len) * sizeof(*o));
		s->owned = o;
		s->owned_len = len;
	}
	if (n && delta > 0) {
		s->owned[domid].nodes++;
		s->owned[domid].bytes += xs_node_bytes(n);
	} else if (n && delta < 0) {
		s->owned[domid].nodes--;
		s->owned[domid].bytes -= xs_node_bytes(n);
	}
	return 0;
}

static uint16_t owner(const struct xs_node *n)
{
	return n && n->nr_perms ? n->perms[0].domid : 0;
}

static const struct xs_node *store_get(struct xs_store *s, const char *path,
				       size_t len)
{
	return node_of(*table_slot(&s->nodes, path, len, path_hash(path, len)));
}

static int store_put(struct xs_store *s, struct xs_node *n)
{
	struct xs_key **pp;

	if (s->nodes.nr >= s->nodes.nr_buckets && table_grow(&s->nodes))
		return -ENOMEM;
	pp = table_slot(&s->nodes, n->key.path, n->key.path_len, n->key.hash);
	if (owned_add(s, owner(n), n, 1))
		return -ENOMEM;
	n->gen = s->next_gen++;
	if (*pp) {
		struct xs_node *old = node_of(*pp);

		owned_add(s, owner(old), old, -1); /* counted: no room needed */
		n->key.next = old->key.next;
		xs_node_free(old);
	} else {
		n->key.next = NULL;
		s->nodes.nr++;
	}
	*pp = &n->key;
	return 0;
}

static void store_del(struct xs_store *s, const char *path, size_t len)
{
	struct xs_key **pp =
		table_slot(&s->nodes, path, len, path_hash(path, len));
	struct xs_node *old = node_of(*pp);

	if (!old)
		return;
	*pp = old->key.next;
	owned_add(s, owner(old), old, -1);
	s->nodes.nr--;
	s->next_gen++;
	xs_node_free(old);
}

/* Whether @n's permissions name @domid. */
static bool names(const struct xs_node *n, uint16_t domid)
{
	for (uint32_t i = 0; i < n->nr_perms; i++)
		if (n->perms[i].domid == domid)
			return true;
	return false;
}

/* @n with @domid's entries dropped and its ownership, if @domid's, passed
 * to dom0, stored in its place.  Return: 0 or -ENOMEM. */
static int disown_node(struct xs_store *s, const struct xs_node *n,
		       uint16_t domid)
{
	struct sdrv_xs_perm *perms = malloc(n->nr_perms * sizeof(*perms));
	struct xs_node *n2 = NULL;
	uint32_t kept = 0;

	if (perms) {
		/* the owner's entry stays first, now dom0's */
		for (uint32_t j = 0; j < n->nr_perms; j++)
			if (j == 0 || n->perms[j].domid != domid)
				perms[kept++] = n->perms[j];
		if (perms[0].domid == domid)
			perms[0].domid = 0;
		n2 = xs_node_with_perms(n, perms, kept);
		free(perms);
	}
	if (!n2 || store_put(s, n2)) {
		xs_node_free(n2);
		return -ENOMEM;
	}
	return 0;
}

int xs_store_disown(struct xs_store *s, uint16_t domid)
{
	char **paths = NULL;
	size_t nr = 0, cap = 0;
	int err = 0;

	if (domid == 0)
		return 0;
	/* The paths first: replacing a node while walking the table would
	 * free the chain under the walk. */
	for (size_t i = 0; i < s->nodes.nr_buckets && !err; i++)
		for (struct xs_key *k = s->nodes.buckets[i]; k && !err;
		     k = k->next) {
			if (!names(node_of(k), domid))
				continue;
			if (nr == cap) {
				size_t c2 = cap ? cap * 2 : 64;
				char **p2 = realloc(paths, c2 * sizeof(*p2));

				if (!p2) {
					err = -ENOMEM;
					break;
				}
				paths = p2;
				cap = c2;
			}
			paths[nr] = strdup(k->path);
			if (!paths[nr])
				err = -ENOMEM;
			else
				nr++;
		}
	for (size_t i = 0; i < nr; i++) {
		const struct xs_node *n =
			store_get(s, paths[i], strlen(paths[i]));

		if (!err && n)
			err = disown_node(s, n, domid);
		free(paths[i]);
	}
	free(paths);
	return err;
}

void xs_store_foreach(struct xs_store *s,
		      void (*fn)(const struct xs_node *n, void *arg), void *arg)
{
	for (size_t i = 0; i < s->nodes.nr_buckets; i++)
		for (struct xs_key *k = s->nodes.buckets[i]; k; k = k->next)
			fn(node_of(k), arg);
}

/* ---- transactions ---- */

struct tx_entry {
	struct xs_key key; /* first: the table hands back keys */
	bool written; /* applied at commit */
	uint64_t gen_seen; /* 0: absent when first touched */
	/* The transaction's view: a copy of the node as first touched, or
	 * what the transaction wrote; NULL = absent or removed. */
	struct xs_node *node;
	char path[];
};

struct xs_tx {
	struct xs_store *store;
	uint16_t domid;
	int64_t owned_delta;
	size_t bytes;
	struct xs_table entries;
	struct xs_tx_event *events, **events_tail;
};

struct xs_tx *xs_tx_new(struct xs_store *s, uint16_t domid)
{
	struct xs_tx *tx = calloc(1, sizeof(*tx));

	if (!tx)
		return NULL;
	if (table_init(&tx->entries, 64)) {
		free(tx);
		return NULL;
	}
	tx->store = s;
	tx->domid = domid;
	tx->events_tail = &tx->events;
	return tx;
}

int64_t xs_tx_owned_delta(const struct xs_tx *tx)
{
	return tx->owned_delta;
}

size_t xs_tx_bytes(const struct xs_tx *tx)
{
	return tx->bytes;
}

size_t xs_tx_nr_entries(const struct xs_tx *tx)
{
	return tx->entries.nr;
}

static struct tx_entry *entry_of(struct xs_key *k)
{
	return (struct tx_entry *)(void *)k;
}

static void free_tx_entry(struct xs_key *k)
{
	struct tx_entry *e = entry_of(k);

	xs_node_free(e->node);
	free(e);
}

/* The transaction's entry for @path, created (recording the store's
 * generation) on first touch.  NULL on ENOMEM. */
static struct tx_entry *tx_entry(struct xs_tx *tx, const char *path,
				 size_t len)
{
	uint32_t hash = path_hash(path, len);
	struct xs_key **pp = table_slot(&tx->entries, path, len, hash);
	const struct xs_node *cur;
	struct tx_entry *e;

	if (*pp)
		return entry_of(*pp);
	if (tx->entries.nr >= tx->entries.nr_buckets) {
		if (table_grow(&tx->entries))
			return NULL;
		pp = table_slot(&tx->entries, path, len, hash);
	}
	e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	cur = store_get(tx->store, path, len);
	e->key.next = NULL;
	e->key.hash = hash;
	e->key.path_len = (uint32_t)len;
	e->key.path = e->path;
	e->written = false;
	e->gen_seen = cur ? cur->gen : 0;
	/* A snapshot: later reads in the transaction see this copy even if
	 * the store moves on (and then the commit fails). */
	e->node = cur ? xs_node_build(cur->key.path, cur->key.path_len, cur->value,
				      cur->value_len, cur->perms,
				      cur->nr_perms, cur->children,
				      cur->children_len)
		      : NULL;
	if (cur && !e->node) {
		free(e);
		return NULL;
	}
	memcpy(e->path, path, len);
	e->path[len] = '\0';
	tx->bytes += sizeof(*e) + len + 1 + (e->node ? xs_node_size(e->node) : 0);
	tx->entries.nr++;
	*pp = &e->key;
	return e;
}

const struct xs_node *xs_get(struct xs_view v, const char *path, size_t len)
{
	struct tx_entry *e;

	if (!v.tx)
		return store_get(v.store, path, len);
	e = tx_entry(v.tx, path, len);
	return e ? e->node : NULL;
}

static void tx_replace(struct xs_tx *tx, struct tx_entry *e,
		       struct xs_node *n)
{
	if (e->node && owner(e->node) == tx->domid)
		tx->owned_delta--;
	if (n && owner(n) == tx->domid)
		tx->owned_delta++;
	if (e->node) {
		tx->bytes -= xs_node_size(e->node);
		xs_node_free(e->node);
	}
	e->written = true;
	e->node = n;
	if (n)
		tx->bytes += xs_node_size(n);
}

int xs_put(struct xs_view v, struct xs_node *n)
{
	struct tx_entry *e;
	int err;

	if (!v.tx) {
		err = store_put(v.store, n);
		if (err)
			xs_node_free(n);
		return err;
	}
	e = tx_entry(v.tx, n->key.path, n->key.path_len);
	if (!e) {
		xs_node_free(n);
		return -ENOMEM;
	}
	tx_replace(v.tx, e, n);
	return 0;
}

int xs_del(struct xs_view v, const char *path, size_t len)
{
	struct tx_entry *e;

	if (!v.tx) {
		store_del(v.store, path, len);
		return 0;
	}
	e = tx_entry(v.tx, path, len);
	if (!e)
		return -ENOMEM;
	tx_replace(v.tx, e, NULL);
	return 0;
}

int xs_tx_add_event(struct xs_tx *tx, const char *path,
		    const struct xs_node *node, const char *removed,
		    size_t removed_len)
{
	size_t len = strlen(path);
	size_t nr = node ? node->nr_perms : 0;
	struct xs_tx_event *ev = malloc(sizeof(*ev) + nr * sizeof(*ev->perms) +
					len + 1 + removed_len);

	if (!ev)
		return -ENOMEM;
	ev->next = NULL;
	ev->nr_perms = nr;
	ev->perms = (struct sdrv_xs_perm *)(ev + 1);
	if (nr)
		memcpy(ev->perms, node->perms, nr * sizeof(*ev->perms));
	ev->path = (char *)(ev->perms + nr);
	memcpy(ev->path, path, len + 1);
	ev->removed = removed ? ev->path + len + 1 : NULL;
	ev->removed_len = removed_len;
	if (removed_len)
		memcpy(ev->removed, removed, removed_len);
	*tx->events_tail = ev;
	tx->events_tail = &ev->next;
	tx->bytes += sizeof(*ev) + len + removed_len;
	return 0;
}

struct xs_tx_event *xs_tx_events(struct xs_tx *tx)
{
	return tx->events;
}

/* Every entry of @tx, as @e. */
#define for_each_entry(tx, e)                                                  \
	for (size_t i_ = 0; i_ < (tx)->entries.nr_buckets; i_++)               \
		for (struct xs_key *k_ = (tx)->entries.buckets[i_];            \
		     k_ && ((e) = entry_of(k_)); k_ = k_->next)

int xs_tx_commit(struct xs_tx *tx)
{
	struct xs_store *s = tx->store;
	struct tx_entry *e;

	for_each_entry(tx, e) {
		const struct xs_node *cur =
			store_get(s, e->key.path, e->key.path_len);

		if ((cur ? cur->gen : 0) != e->gen_seen)
			return -EAGAIN;
	}
	/* Make room first, so the apply below cannot fail half-way. */
	while (s->nodes.nr + tx->entries.nr >= s->nodes.nr_buckets)
		if (table_grow(&s->nodes))
			return -ENOMEM;
	for_each_entry(tx, e)
		if (e->written && e->node &&
		    owned_add(s, owner(e->node), NULL, 0))
			return -ENOMEM;
	for_each_entry(tx, e) {
		if (!e->written)
			continue;
		if (e->node) {
			/* Cannot fail: room and counters exist. */
			store_put(s, e->node);
			e->node = NULL;
		} else {
			store_del(s, e->key.path, e->key.path_len);
		}
		e->written = false;
	}
	return 0;
}

void xs_tx_free(struct xs_tx *tx)
{
	if (!tx)
		return;
	table_fini(&tx->entries, free_tx_entry);
	while (tx->events) {
		struct xs_tx_event *ev = tx->events;

		tx->events = ev->next;
		free(ev);
	}
	free(tx);
}
