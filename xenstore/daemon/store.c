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
	n->hash = path_hash(path, path_len);
	n->path_len = (uint32_t)path_len;
	n->value_len = (uint32_t)value_len;
	n->children_len = (uint32_t)children_len;
	n->nr_perms = (uint32_t)nr_perms;
	n->gen = 0;
	n->next = NULL;
	n->perms = (struct sdrv_xs_perm *)(n + 1);
	if (nr_perms)
		memcpy(n->perms, perms, nr_perms * sizeof(*perms));
	p = (char *)(n->perms + nr_perms);
	n->path = p;
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
	return xs_node_build(n->path, n->path_len, value, len, n->perms,
			     n->nr_perms, n->children, n->children_len);
}

struct xs_node *xs_node_with_perms(const struct xs_node *n,
				   const struct sdrv_xs_perm *perms, size_t nr)
{
	return xs_node_build(n->path, n->path_len, n->value, n->value_len,
			     perms, nr, n->children, n->children_len);
}

struct xs_node *xs_node_with_child(const struct xs_node *n, const char *name,
				   size_t len)
{
	size_t total = n->children_len + len + 1;
	struct xs_node *c = xs_node_build(n->path, n->path_len, n->value,
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
				n->path, n->path_len, n->value, n->value_len,
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
	return xs_node_build(n->path, n->path_len, n->value, n->value_len,
			     n->perms, n->nr_perms, n->children,
			     n->children_len);
}

void xs_node_free(struct xs_node *n)
{
	free(n);
}

/* ---- the table ---- */

static struct xs_node **table_slot(struct xs_table *t, const char *path,
				   size_t len, uint32_t hash)
{
	struct xs_node **pp = &t->buckets[hash & (t->nr_buckets - 1)];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->hash == hash && (*pp)->path_len == len &&
		    memcmp((*pp)->path, path, len) == 0)
			break;
	return pp;
}

static int table_grow(struct xs_table *t)
{
	size_t nr = t->nr_buckets * 2;
	struct xs_node **b = calloc(nr, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < t->nr_buckets; i++) {
		struct xs_node *n = t->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			n->next = b[n->hash & (nr - 1)];
			b[n->hash & (nr - 1)] = n;
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
	t->nr_nodes = 0;
	return t->buckets ? 0 : -ENOMEM;
}

static void table_fini(struct xs_table *t)
{
	for (size_t i = 0; t->buckets && i < t->nr_buckets; i++) {
		struct xs_node *n = t->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			xs_node_free(n);
		}
	}
	free(t->buckets);
	t->buckets = NULL;
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
	table_fini(&s->nodes);
	free(s->owned);
	s->owned = NULL;
}

uint32_t xs_store_owned(const struct xs_store *s, uint16_t domid)
{
	return domid < s->owned_len ? s->owned[domid] : 0;
}

static int owned_add(struct xs_store *s, uint16_t domid, int delta)
{
	if (domid >= s->owned_len) {
		size_t len = (size_t)domid + 64;
		uint32_t *o = realloc(s->owned, len * sizeof(*o));

		if (!o)
			return -ENOMEM;
		memset(o + s->owned_len, 0,
		       (len - s->owned_len) * sizeof(*o));
		s->owned = o;
		s->owned_len = len;
	}
	s->owned[domid] += (uint32_t)delta;
	return 0;
}

static uint16_t owner(const struct xs_node *n)
{
	return n && n->nr_perms ? n->perms[0].domid : 0;
}

static const struct xs_node *store_get(struct xs_store *s, const char *path,
				       size_t len)
{
	return *table_slot(&s->nodes, path, len, path_hash(path, len));
}

static int store_put(struct xs_store *s, struct xs_node *n)
{
	struct xs_node **pp;

	if (s->nodes.nr_nodes >= s->nodes.nr_buckets && table_grow(&s->nodes))
		return -ENOMEM;
	pp = table_slot(&s->nodes, n->path, n->path_len, n->hash);
	if (owned_add(s, owner(n), 1))
		return -ENOMEM;
	n->gen = s->next_gen++;
	if (*pp) {
		struct xs_node *old = *pp;

		s->owned[owner(old)]--;
		n->next = old->next;
		xs_node_free(old);
	} else {
		n->next = NULL;
		s->nodes.nr_nodes++;
	}
	*pp = n;
	return 0;
}

static void store_del(struct xs_store *s, const char *path, size_t len)
{
	struct xs_node **pp =
		table_slot(&s->nodes, path, len, path_hash(path, len));
	struct xs_node *old = *pp;

	if (!old)
		return;
	*pp = old->next;
	s->owned[owner(old)]--;
	s->nodes.nr_nodes--;
	s->next_gen++;
	xs_node_free(old);
}

void xs_store_foreach(struct xs_store *s,
		      void (*fn)(const struct xs_node *n, void *arg), void *arg)
{
	for (size_t i = 0; i < s->nodes.nr_buckets; i++)
		for (struct xs_node *n = s->nodes.buckets[i]; n; n = n->next)
			fn(n, arg);
}

/* ---- transactions ---- */

struct tx_entry {
	struct tx_entry *next;
	uint32_t hash;
	uint32_t path_len;
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
	struct tx_entry **buckets;
	size_t nr_buckets, nr_entries;
	struct xs_tx_event *events, **events_tail;
};

struct xs_tx *xs_tx_new(struct xs_store *s, uint16_t domid)
{
	struct xs_tx *tx = calloc(1, sizeof(*tx));

	if (!tx)
		return NULL;
	tx->nr_buckets = 64;
	tx->buckets = calloc(tx->nr_buckets, sizeof(*tx->buckets));
	if (!tx->buckets) {
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

static struct tx_entry **tx_slot(struct xs_tx *tx, const char *path,
				 size_t len, uint32_t hash)
{
	struct tx_entry **pp = &tx->buckets[hash & (tx->nr_buckets - 1)];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->hash == hash && (*pp)->path_len == len &&
		    memcmp((*pp)->path, path, len) == 0)
			break;
	return pp;
}

static int tx_grow(struct xs_tx *tx)
{
	size_t nr = tx->nr_buckets * 2;
	struct tx_entry **b = calloc(nr, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < tx->nr_buckets; i++) {
		struct tx_entry *e = tx->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (nr - 1)];
			b[e->hash & (nr - 1)] = e;
		}
	}
	free(tx->buckets);
	tx->buckets = b;
	tx->nr_buckets = nr;
	return 0;
}

/* The transaction's entry for @path, created (recording the store's
 * generation) on first touch.  NULL on ENOMEM. */
static struct tx_entry *tx_entry(struct xs_tx *tx, const char *path,
				 size_t len)
{
	uint32_t hash = path_hash(path, len);
	struct tx_entry **pp = tx_slot(tx, path, len, hash), *e;
	const struct xs_node *cur;

	if (*pp)
		return *pp;
	if (tx->nr_entries >= tx->nr_buckets) {
		if (tx_grow(tx))
			return NULL;
		pp = tx_slot(tx, path, len, hash);
	}
	e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	cur = store_get(tx->store, path, len);
	e->next = NULL;
	e->hash = hash;
	e->path_len = (uint32_t)len;
	e->written = false;
	e->gen_seen = cur ? cur->gen : 0;
	/* A snapshot: later reads in the transaction see this copy even if
	 * the store moves on (and then the commit fails). */
	e->node = cur ? xs_node_build(cur->path, cur->path_len, cur->value,
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
	tx->nr_entries++;
	*pp = e;
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
	e = tx_entry(v.tx, n->path, n->path_len);
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

int xs_tx_add_event(struct xs_tx *tx, const char *path, bool recursive,
		    const struct xs_node *node)
{
	size_t len = strlen(path);
	size_t nr = node ? node->nr_perms : 0;
	struct xs_tx_event *ev =
		malloc(sizeof(*ev) + nr * sizeof(*ev->perms) + len + 1);

	if (!ev)
		return -ENOMEM;
	ev->next = NULL;
	ev->recursive = recursive;
	ev->nr_perms = nr;
	ev->perms = (struct sdrv_xs_perm *)(ev + 1);
	if (nr)
		memcpy(ev->perms, node->perms, nr * sizeof(*ev->perms));
	ev->path = (char *)(ev->perms + nr);
	memcpy(ev->path, path, len + 1);
	*tx->events_tail = ev;
	tx->events_tail = &ev->next;
	tx->bytes += sizeof(*ev) + len;
	return 0;
}

struct xs_tx_event *xs_tx_events(struct xs_tx *tx)
{
	return tx->events;
}

int xs_tx_commit(struct xs_tx *tx)
{
	struct xs_store *s = tx->store;

	for (size_t i = 0; i < tx->nr_buckets; i++)
		for (struct tx_entry *e = tx->buckets[i]; e; e = e->next) {
			const struct xs_node *cur =
				store_get(s, e->path, e->path_len);

			if ((cur ? cur->gen : 0) != e->gen_seen)
				return -EAGAIN;
		}
	/* Make room first, so the apply below cannot fail half-way. */
	while (s->nodes.nr_nodes + tx->nr_entries >= s->nodes.nr_buckets)
		if (table_grow(&s->nodes))
			return -ENOMEM;
	for (size_t i = 0; i < tx->nr_buckets; i++)
		for (struct tx_entry *e = tx->buckets[i]; e; e = e->next) {
			if (!e->written)
				continue;
			if (e->node) {
				if (owned_add(s, owner(e->node), 0))
					return -ENOMEM;
			}
		}
	for (size_t i = 0; i < tx->nr_buckets; i++)
		for (struct tx_entry *e = tx->buckets[i]; e; e = e->next) {
			if (!e->written)
				continue;
			if (e->node) {
				/* Cannot fail: room and counters exist. */
				store_put(s, e->node);
				e->node = NULL;
			} else {
				store_del(s, e->path, e->path_len);
			}
			e->written = false;
		}
	return 0;
}

void xs_tx_free(struct xs_tx *tx)
{
	if (!tx)
		return;
	for (size_t i = 0; i < tx->nr_buckets; i++) {
		struct tx_entry *e = tx->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			xs_node_free(e->node);
			free(e);
		}
	}
	while (tx->events) {
		struct xs_tx_event *ev = tx->events;

		tx->events = ev->next;
		free(ev);
	}
	free(tx->buckets);
	free(tx);
}
