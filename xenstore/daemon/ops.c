/* SPDX-License-Identifier: MIT */
/*
 * One request of the XenStore protocol: parse the payload (which the client
 * wrote, so every string is checked), apply it to the store or to the
 * named transaction, answer.  Replies follow docs/misc/xenstore.txt and Xen's
 * C daemon where the text is silent.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../wire.h"
#include "xsd_internal.h"

/* The payload split into its NUL-terminated strings. */
#define MAX_ARGS 8
struct args {
	unsigned n;
	const char *s[MAX_ARGS];
	size_t len[MAX_ARGS];
	/* WRITE: the bytes after the path (not NUL-terminated). */
	const char *rest;
	size_t rest_len;
};

/* Exactly @n strings (0: one or more), each NUL-terminated, nothing
 * after. */
static int split(const char *p, size_t len, unsigned n, struct args *a)
{
	size_t off = 0;

	a->n = 0;
	while (off < len && a->n < MAX_ARGS) {
		size_t l = xs_strnlen(p + off, len - off);

		if (off + l == len) /* unterminated */
			return -EINVAL;
		a->s[a->n] = p + off;
		a->len[a->n++] = l;
		off += l + 1;
	}
	if (off != len || !a->n || (n && a->n != n))
		return -EINVAL;
	return 0;
}

/* At least one string, then anything (WRITE's value, SET_PERMS' list). */
static int split_first(const char *p, size_t len, struct args *a)
{
	size_t l = xs_strnlen(p, len);

	if (l == len)
		return -EINVAL;
	a->n = 1;
	a->s[0] = p;
	a->len[0] = l;
	a->rest = p + l + 1;
	a->rest_len = len - l - 1;
	return 0;
}

static void reply(struct conn *c, const struct sdrv_xs_msg *h,
		  const void *data, size_t len)
{
	if (conn_send(c, h->type, h->req_id, h->tx_id, data, len, true))
		conn_kill(c, "out of memory for a reply");
}

static void reply_ok(struct conn *c, const struct sdrv_xs_msg *h)
{
	reply(c, h, "OK", 3);
}

static void reply_err(struct conn *c, const struct sdrv_xs_msg *h, int err)
{
	const char *name = sdrv_xs_errname(err);

	c->d->stats.errors++;
	if (conn_send(c, SDRV_XS_ERROR, h->req_id, h->tx_id, name,
		      strlen(name) + 1, true))
		conn_kill(c, "out of memory for a reply");
}

/* ---- the context of one request ---- */

struct req {
	struct conn *c;
	const struct sdrv_xs_msg *h;
	struct xs_view view;
	struct txn *txn;
	char path[SDRV_XS_ABS_PATH_MAX + 1];
	size_t path_len;
	size_t rel_off;
};

static int canonical(struct req *r, const char *in, bool special)
{
	int len = path_canonical(r->c, in, special, r->path, &r->rel_off);

	if (len < 0)
		return len;
	r->path_len = (size_t)len;
	return 0;
}

static bool quota_applies(const struct conn *c)
{
	return !c->privileged;
}

/*
 * The node at r->path if @c may @need it: 0 and *@out; -EACCES; -ENOENT
 * (then *@out is NULL), except that a missing node whose closest existing
 * ancestor @c may not @need is -EACCES, so the tree's shape does not leak.
 */
static int node_checked(struct req *r, unsigned need,
			const struct xs_node **out)
{
	const struct xs_node *n = xs_get(r->view, r->path, r->path_len);
	size_t len = r->path_len;

	*out = n;
	if (n)
		return (perm_for(r->c, n->perms, n->nr_perms) & need) == need
			       ? 0
			       : -EACCES;
	while (len > 1) {
		len = path_parent_len(r->path, len);
		n = xs_get(r->view, r->path, len);
		if (n)
			return (perm_for(r->c, n->perms, n->nr_perms) & need) ==
					       need
				       ? -ENOENT
				       : -EACCES;
	}
	return -ENOENT;
}

/* Whether @c's domain may take @more bytes of memory (0: whether it is
 * within its quota now). */
static bool memory_allows(const struct conn *c, size_t more)
{
	return !quota_applies(c) ||
	       conn_memory(c) + more <= c->d->cfg.quota.memory;
}

/* Whether built node @n is within the node-size quota. */
static bool size_allows(const struct conn *c, const struct xs_node *n)
{
	return !quota_applies(c) || xs_node_size(n) <= c->d->cfg.quota.node_size;
}

/* Store @n (just built, NULL if that ran out of memory) in the request's
 * view if it is within the node-size and memory quotas, replacing @old
 * (NULL: a new node); @n is consumed either way. */
static int put_checked(struct req *r, const struct xs_node *old,
		       struct xs_node *n)
{
	const struct conn *c = r->c;
	size_t before = old ? xs_node_bytes(old) : 0;

	if (!n)
		return -ENOMEM;
	if (!size_allows(c, n) ||
	    (xs_node_bytes(n) > before &&
	     !memory_allows(c, xs_node_bytes(n) - before))) {
		xs_node_free(n);
		return -ENOSPC;
	}
	return xs_put(r->view, n);
}

/* The node a read-type request names, if @c may read it. */
static int readable_node(struct req *r, const char *path, bool special,
			 const struct xs_node **n)
{
	int err = canonical(r, path, special);

	return err ? err : node_checked(r, SDRV_XS_PERM_READ, n);
}

/* Remember a change: fired now, or at commit for a transaction.
 * @removed: for a removal, every path removed (see watch_fire()). */
static int changed(struct req *r, const char *path,
		   const struct xs_node *node, const char *removed,
		   size_t removed_len)
{
	if (r->view.tx)
		return xs_tx_add_event(r->view.tx, path, node, removed,
				       removed_len);
	watch_fire(r->c->d, path, node ? node->perms : NULL,
		   node ? node->nr_perms : 0, removed, removed_len);
	return 0;
}

/*
 * Create r->path and any missing parents (each inherits its parent's
 * permissions; an unprivileged creator becomes the owner), with @value on
 * the last one.  The caller checked write access on the closest ancestor.
 * Every node is built and checked against the quotas before any is
 * stored: a refused request changes nothing (no name left in a parent's
 * list, no half-made parents).
 */
static int create_node(struct req *r, const void *value, size_t value_len)
{
	struct conn *c = r->c;
	size_t ends[SDRV_XS_ABS_PATH_MAX / 2 + 1];
	struct xs_node *built[SDRV_XS_ABS_PATH_MAX / 2 + 2];
	unsigned depth = 0, nr_built = 0;
	size_t len = r->path_len, bytes = 0;
	const struct xs_node *anc;
	struct sdrv_xs_perm perms[64];
	size_t nr_perms;
	int err = 0;

	/* Walk up to the closest existing ancestor. */
	for (;;) {
		ends[depth++] = len;
		len = path_parent_len(r->path, len);
		anc = xs_get(r->view, r->path, len);
		if (anc)
			break;
		if (len == 1)
			return -ENOENT; /* no root: cannot happen */
	}
	if (quota_applies(c)) {
		int64_t owned = (int64_t)xs_store_owned(&c->d->store, c->domid);

		if (r->view.tx)
			owned += xs_tx_owned_delta(r->view.tx);
		if (owned + depth > c->d->cfg.quota.nodes)
			return -ENOSPC;
	}
	nr_perms = anc->nr_perms < 64 ? anc->nr_perms : 64;
	memcpy(perms, anc->perms, nr_perms * sizeof(perms[0]));
	if (!c->privileged && nr_perms)
		perms[0].domid = c->domid;
	/* The ancestor gains the first new name; each new node holds the
	 * next one's name, the last one the value. */
	for (unsigned level = depth + 1; level-- > 0 && !err;) {
		size_t end = level < depth ? ends[level] : len;
		size_t child_end = level ? ends[level - 1] : 0;
		size_t name_off = 0;
		char name[SDRV_XS_ABS_PATH_MAX + 1];
		struct xs_node *n;

		if (level) {
			name_off = end == 1 ? 1 : end + 1;
			memcpy(name, r->path + name_off, child_end - name_off);
			name[child_end - name_off] = '\0';
		}
		if (level == depth)
			n = xs_node_with_child(anc, name, child_end - name_off);
		else
			n = xs_node_build(r->path, end, level ? NULL : value,
					  level ? 0 : value_len, perms,
					  nr_perms, level ? name : NULL,
					  level ? child_end - name_off + 1 : 0);
		if (!n) {
			err = -ENOMEM;
			break;
		}
		built[nr_built++] = n;
		bytes += xs_node_bytes(n);
		if (!size_allows(c, n))
			err = -ENOSPC;
	}
	if (!err && !memory_allows(c, bytes - xs_node_bytes(anc)))
		err = -ENOSPC;
	for (unsigned i = 0; i < nr_built; i++) {
		if (!err)
			err = xs_put(r->view, built[i]);
		else
			xs_node_free(built[i]);
	}
	return err;
}

/* ---- the requests ---- */

static int do_read(struct req *r, struct args *a)
{
	const struct xs_node *n;
	int err = readable_node(r, a->s[0], false, &n);

	if (err)
		return err;
	reply(r->c, r->h, n->value, n->value_len);
	return 0;
}

static int do_write(struct req *r, struct args *a)
{
	const struct xs_node *n;
	int err = canonical(r, a->s[0], false);

	if (err)
		return err;
	if (a->rest_len > SDRV_XS_PAYLOAD_MAX)
		return -E2BIG;
	err = node_checked(r, SDRV_XS_PERM_WRITE, &n);
	if (err == -ENOENT) {
		err = create_node(r, a->rest, a->rest_len);
		n = NULL;
	} else if (!err) {
		err = put_checked(r, n,
				  xs_node_with_value(n, a->rest, a->rest_len));
	}
	if (err)
		return err;
	n = xs_get(r->view, r->path, r->path_len);
	err = changed(r, r->path, n, NULL, 0);
	if (err)
		return err;
	reply_ok(r->c, r->h);
	return 0;
}

static int do_mkdir(struct req *r, struct args *a)
{
	const struct xs_node *n;
	int err = canonical(r, a->s[0], false);

	if (err)
		return err;
	err = node_checked(r, SDRV_XS_PERM_WRITE, &n);
	if (n) {
		/* Existing: fine, even without write access (Xen). */
		reply_ok(r->c, r->h);
		return 0;
	}
	if (err != -ENOENT)
		return err;
	err = create_node(r, NULL, 0);
	if (!err)
		err = changed(r, r->path,
			      xs_get(r->view, r->path, r->path_len), NULL, 0);
	if (err)
		return err;
	reply_ok(r->c, r->h);
	return 0;
}

/* Remove the subtree at r->path: children before parents, iteratively (a
 * tree may be as deep as the path limit allows).  *@removed (malloc'd,
 * the caller frees) lists every path removed, "a\0b\0", for the
 * watches. */
static int remove_subtree(struct req *r, char **removed, size_t *removed_len)
{
	struct stack {
		char *path;
		size_t len;
	} *st = NULL;
	size_t nr = 0, cap = 0;
	char **order = NULL;
	size_t nr_order = 0, cap_order = 0;
	int err = 0;

#define PUSH(arr, n, cap, val)                                                 \
	do {                                                                   \
		if ((n) == (cap)) {                                            \
			size_t c2 = (cap) ? (cap) * 2 : 16;                    \
			void *p2 = realloc((arr), c2 * sizeof(*(arr)));        \
			if (!p2) {                                             \
				err = -ENOMEM;                                 \
				goto out;                                      \
			}                                                      \
			(arr) = p2;                                            \
			(cap) = c2;                                            \
		}                                                              \
		(arr)[(n)++] = (val);                                          \
	} while (0)

	{
		char *top = strndup(r->path, r->path_len);

		if (!top)
			return -ENOMEM;
		PUSH(st, nr, cap, ((struct stack){ top, r->path_len }));
	}
	/* Pre-order walk; deleting in reverse order removes children
	 * first. */
	while (nr) {
		struct stack s = st[--nr];
		const struct xs_node *n = xs_get(r->view, s.path, s.len);

		PUSH(order, nr_order, cap_order, s.path);
		if (!n)
			continue;
		for (size_t off = 0; off < n->children_len;) {
			size_t l = strlen(n->children + off);
			size_t plen = s.len + 1 + l;
			char *cp = malloc(plen + 1);

			if (!cp) {
				err = -ENOMEM;
				goto out;
			}
			memcpy(cp, s.path, s.len);
			cp[s.len] = '/';
			memcpy(cp + s.len + 1, n->children + off, l + 1);
			if (s.len == 1) { /* children of "/" */
				memmove(cp + 1, cp + 2, l + 1);
				plen--;
			}
			PUSH(st, nr, cap, ((struct stack){ cp, plen }));
			off += l + 1;
			/* The walk re-reads @n's children from the
			 * store; it is unchanged until the deletes. */
			n = xs_get(r->view, s.path, s.len);
		}
	}
	*removed_len = 0;
	for (size_t i = 0; i < nr_order; i++)
		*removed_len += strlen(order[i]) + 1;
	*removed = malloc(*removed_len ? *removed_len : 1);
	if (!*removed) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0, off = 0; i < nr_order; i++) {
		size_t l = strlen(order[i]) + 1;

		memcpy(*removed + off, order[i], l);
		off += l;
	}
	while (nr_order && !err) {
		char *p = order[--nr_order];

		if (xs_get(r->view, p, strlen(p)))
			err = xs_del(r->view, p, strlen(p));
		free(p);
	}
out:
	while (nr)
		free(st[--nr].path);
	while (nr_order)
		free(order[--nr_order]);
	free(st);
	free(order);
	return err;
#undef PUSH
}

static int do_rm(struct req *r, struct args *a)
{
	const struct xs_node *n, *parent;
	struct xs_node *p2, removed = { 0 };
	size_t plen, name_off, gone_len = 0;
	char *gone = NULL;
	int err = canonical(r, a->s[0], false);
	struct sdrv_xs_perm perms[64];

	if (err)
		return err;
	if (r->path_len == 1)
		return -EINVAL; /* the root stays */
	err = node_checked(r, SDRV_XS_PERM_WRITE, &n);
	plen = path_parent_len(r->path, r->path_len);
	if (err == -ENOENT) {
		/* Fine if the parent exists. */
		if (!xs_get(r->view, r->path, plen))
			return -ENOENT;
		reply_ok(r->c, r->h);
		return 0;
	}
	if (err)
		return err;
	/* Who may see the removal: the node's permissions, kept past its
	 * freeing. */
	removed.nr_perms = n->nr_perms < 64 ? n->nr_perms : 64;
	removed.perms = perms;
	memcpy(perms, n->perms, removed.nr_perms * sizeof(perms[0]));
	parent = xs_get(r->view, r->path, plen);
	if (!parent)
		return -EIO;
	name_off = plen == 1 ? 1 : plen + 1;
	p2 = xs_node_without_child(parent, r->path + name_off,
				   r->path_len - name_off);
	if (!p2)
		return -ENOMEM;
	err = remove_subtree(r, &gone, &gone_len);
	if (err) {
		free(gone);
		xs_node_free(p2);
		return err;
	}
	err = xs_put(r->view, p2);
	if (!err)
		err = changed(r, r->path, &removed, gone, gone_len);
	free(gone);
	if (err)
		return err;
	reply_ok(r->c, r->h);
	return 0;
}

static int do_directory(struct req *r, struct args *a)
{
	const struct xs_node *n;
	int err = readable_node(r, a->s[0], false, &n);

	if (err)
		return err;
	if (n->children_len > SDRV_XS_PAYLOAD_MAX)
		return -E2BIG;
	reply(r->c, r->h, n->children, n->children_len);
	return 0;
}

/* "<gen>\0" and whole names from byte @offset that fit; an extra "\0" once
 * the list's end is in. */
static int do_directory_part(struct req *r, struct args *a)
{
	const struct xs_node *n;
	char out[SDRV_XS_PAYLOAD_MAX];
	uint64_t off;
	size_t gen_len, end;
	int err;

	if (xs_parse_uint(a->s[1], a->len[1], UINT32_MAX, &off))
		return -EINVAL;
	err = readable_node(r, a->s[0], false, &n);
	if (err)
		return err;
	if (off > n->children_len)
		return -EINVAL;
	gen_len = (size_t)snprintf(out, sizeof(out), "%" PRIu64, n->gen) + 1;
	end = (size_t)off;
	while (end < n->children_len) {
		size_t l = strlen(n->children + end) + 1;

		if (gen_len + (end - off) + l + 1 > SDRV_XS_PAYLOAD_MAX)
			break;
		end += l;
	}
	memcpy(out + gen_len, n->children + off, end - off);
	gen_len += end - off;
	if (end == n->children_len)
		out[gen_len++] = '\0';
	reply(r->c, r->h, out, gen_len);
	return 0;
}

static int do_get_perms(struct req *r, struct args *a)
{
	const struct xs_node *n;
	char out[SDRV_XS_PAYLOAD_MAX];
	size_t len = 0;
	int err = readable_node(r, a->s[0], true, &n);

	if (err)
		return err;
	for (uint32_t i = 0; i < n->nr_perms && len + 8 <= sizeof(out); i++)
		len += sdrv_xs_perm_format(n->perms[i], out + len) + 1;
	reply(r->c, r->h, out, len);
	return 0;
}

static int do_set_perms(struct req *r, struct args *a)
{
	struct sdrv_xs_perm perms[256];
	size_t nr = 0, off = 0;
	const struct xs_node *n;
	int err = canonical(r, a->s[0], true);

	if (err)
		return err;
	while (off < a->rest_len) {
		size_t l = xs_strnlen(a->rest + off, a->rest_len - off);

		/* Xen's clients end the list with a NUL; allow one
		 * unterminated last entry too. */
		if (nr == sizeof(perms) / sizeof(perms[0]))
			return -E2BIG;
		if (sdrv_xs_perm_parse(a->rest + off, l, &perms[nr++]))
			return -EINVAL;
		off += l + 1;
	}
	if (nr == 0)
		return -EINVAL;
	if (quota_applies(r->c) && nr > r->c->d->cfg.quota.perms)
		return -ENOSPC;
	err = node_checked(r, SDRV_XS_PERM_WRITE, &n);
	if (err)
		return err;
	/* Only the owner changes permissions; only the privileged (or who
	 * acts for the new owner) hands a node to another domain. */
	if (!perm_is_owner(r->c, n->perms, n->nr_perms))
		return -EACCES;
	if (!r->c->privileged && perms[0].domid != r->c->domid &&
	    !(r->c->has_target && perms[0].domid == r->c->target))
		return -EPERM;
	err = put_checked(r, n, xs_node_with_perms(n, perms, nr));
	if (!err)
		err = changed(r, r->path,
			      xs_get(r->view, r->path, r->path_len), NULL, 0);
	if (err)
		return err;
	reply_ok(r->c, r->h);
	return 0;
}

/* WATCH and UNWATCH: a path (canonicalised into @r) and a token; WATCH may
 * carry a third, reserved string (Xen's clients do not). */
static int watch_args(struct req *r, const struct args *a)
{
	return a->n < 2 ? -EINVAL : canonical(r, a->s[0], true);
}

static int do_watch(struct req *r, struct args *a)
{
	int err = watch_args(r, a);

	if (err)
		return err;
	if (quota_applies(r->c) &&
	    r->c->nr_watches >= r->c->d->cfg.quota.watches)
		return -E2BIG;
	if (!memory_allows(r->c, r->path_len + a->len[1] + 64))
		return -ENOSPC;
	err = watch_add(r->c, r->path, a->s[1], r->rel_off);
	if (err)
		return err;
	reply_ok(r->c, r->h);
	/* Fires once straight away, after the reply. */
	watch_send(r->c, r->c->watches, r->path);
	return 0;
}

static int do_unwatch(struct req *r, struct args *a)
{
	int err = watch_args(r, a);

	if (!err)
		err = watch_remove(r->c, r->path, a->s[1]);
	if (err)
		return err;
	reply_ok(r->c, r->h);
	return 0;
}

static struct txn *txn_find(struct conn *c, uint32_t id)
{
	for (struct txn *t = c->txns; t; t = t->next)
		if (t->id == id)
			return t;
	return NULL;
}

static void txn_unlink(struct conn *c, struct txn *t)
{
	for (struct txn **pp = &c->txns; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	c->nr_txns--;
	c->d->stats.transactions--;
	xs_tx_free(t->tx);
	free(t);
}

/* Whether @t holds more than a transaction may: bytes (every connection)
 * or nodes touched (quota.tx_nodes), or puts its domain over its memory
 * quota. */
static bool txn_over_bounds(const struct conn *c, const struct txn *t)
{
	const struct xsd_quota *q = &c->d->cfg.quota;

	return xs_tx_bytes(t->tx) > q->tx_bytes ||
	       xs_tx_nr_entries(t->tx) > q->tx_nodes ||
	       (quota_applies(c) && conn_memory(c) > q->memory);
}

static int do_transaction_start(struct req *r, struct args *a)
{
	struct conn *c = r->c;
	struct txn *t;
	char out[16];

	if (r->h->tx_id)
		return -EBUSY; /* no nesting */
	if (quota_applies(c) && c->nr_txns >= c->d->cfg.quota.transactions)
		return -ENOSPC;
	if (!memory_allows(c, 0))
		return -ENOSPC;
	if (c->nr_txns >= 1024) /* even for dom0: bounded memory */
		return -ENOSPC;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->tx = xs_tx_new(&c->d->store, c->domid);
	if (!t->tx) {
		free(t);
		return -ENOMEM;
	}
	do { /* ids are never 0 and unique on the connection */
		t->id = ++c->next_tx_id;
	} while (t->id == 0 || txn_find(c, t->id));
	t->next = c->txns;
	c->txns = t;
	c->nr_txns++;
	c->d->stats.transactions++;
	reply(c, r->h, out, (size_t)snprintf(out, sizeof(out), "%u", t->id) + 1);
	return 0;
}

static int do_transaction_end(struct req *r, struct args *a)
{
	struct txn *t = r->txn;
	int err = 0;

	if (!t)
		return -ENOENT;
	if (t->overflow || txn_over_bounds(r->c, t)) {
		txn_unlink(r->c, t);
		return -ENOSPC;
	}
	if (a->len[0] != 1 || (a->s[0][0] != 'T' && a->s[0][0] != 'F'))
		return -EINVAL;
	if (a->s[0][0] == 'T') {
		err = xs_tx_commit(t->tx);
		if (!err)
			for (struct xs_tx_event *ev = xs_tx_events(t->tx); ev;
			     ev = ev->next)
				watch_fire(r->c->d, ev->path, ev->perms,
					   ev->nr_perms, ev->removed,
					   ev->removed_len);
	}
	txn_unlink(r->c, t);
	if (err)
		return err;
	reply_ok(r->c, r->h);
	return 0;
}

static int parse_domid(const struct args *a, unsigned i, uint16_t *domid)
{
	uint64_t v;

	if (xs_parse_uint(a->s[i], a->len[i], XSD_DOMID_MAX, &v))
		return -EINVAL;
	*domid = (uint16_t)v;
	return 0;
}

static int do_get_domain_path(struct req *r, struct args *a)
{
	uint64_t v;
	char out[32];

	/* Any 0..65535, as Xen's daemon answers. */
	if (xs_parse_uint(a->s[0], a->len[0], UINT16_MAX, &v))
		return -EINVAL;
	reply(r->c, r->h, out,
	      (size_t)snprintf(out, sizeof(out), "/local/domain/%u",
			       (unsigned)v) +
		      1);
	return 0;
}

static int do_is_domain_introduced(struct req *r, struct args *a)
{
	uint16_t domid;

	if (parse_domid(a, 0, &domid))
		return -EINVAL;
	reply(r->c, r->h, domid == 0 || domain_find(r->c->d, domid) ? "T" : "F",
	      2);
	return 0;
}

static int do_introduce(struct req *r, struct args *a)
{
	uint16_t domid;
	uint64_t frame, port;
	int err;

	if (a->n < 3)
		return -EINVAL;
	if (parse_domid(a, 0, &domid) || domid == 0 ||
	    xs_parse_uint(a->s[1], a->len[1], UINT64_MAX >> 1, &frame) ||
	    xs_parse_uint(a->s[2], a->len[2], UINT32_MAX, &port))
		return -EINVAL;
	err = domain_introduce(r->c->d, domid, frame, (uint32_t)port);
	if (err)
		return err;
	reply_ok(r->c, r->h);
	return 0;
}

static int do_release(struct req *r, struct args *a)
{
	uint16_t domid;
	struct domain *dom;

	if (parse_domid(a, 0, &domid) || domid == 0)
		return -EINVAL;
	dom = domain_find(r->c->d, domid);
	if (!dom)
		return -ENOENT;
	if (dom->conn == r->c)
		return -EINVAL; /* a domain cannot release itself */
	domain_release(r->c->d, dom);
	reply_ok(r->c, r->h);
	return 0;
}

static int do_resume(struct req *r, struct args *a)
{
	uint16_t domid;

	if (parse_domid(a, 0, &domid))
		return -EINVAL;
	if (!domain_find(r->c->d, domid))
		return -ENOENT;
	reply_ok(r->c, r->h);
	return 0;
}

static int do_set_target(struct req *r, struct args *a)
{
	uint16_t domid, target;
	struct domain *dom;

	if (parse_domid(a, 0, &domid) || parse_domid(a, 1, &target))
		return -EINVAL;
	dom = domain_find(r->c->d, domid);
	if (!dom || !dom->conn)
		return -ENOENT;
	dom->conn->target = target;
	dom->conn->has_target = true;
	reply_ok(r->c, r->h);
	return 0;
}

static int do_reset_watches(struct req *r, struct args *a)
{
	watch_remove_all(r->c);
	while (r->c->txns)
		txn_unlink(r->c, r->c->txns);
	reply_ok(r->c, r->h);
	return 0;
}

static int do_control(struct req *r, struct args *a)
{
	struct xsd *d = r->c->d;
	char out[SDRV_XS_PAYLOAD_MAX];
	int len;

	if (a->n < 1)
		return -EINVAL;
	if (!strcmp(a->s[0], "help")) {
		len = snprintf(out, sizeof(out),
			       "check\t\nprint\t<string>\nquota\t\n"
			       "stats\t\nsave\t<file>\nhelp\t\n");
	} else if (!strcmp(a->s[0], "check")) {
		len = snprintf(out, sizeof(out), "OK");
	} else if (!strcmp(a->s[0], "print") && a->n == 2) {
		xsd_log("control: %s", a->s[1]);
		len = snprintf(out, sizeof(out), "OK");
	} else if (!strcmp(a->s[0], "quota")) {
		const struct xsd_quota *q = &d->cfg.quota;

		len = snprintf(out, sizeof(out),
			       "nodes %u\nnode-size %u\nmemory %zu\n"
			       "watches %u\ntransactions %u\n"
			       "transaction-nodes %u\npath-length %u\n"
			       "outstanding %u\nperms %u\nwrite-rate %u\n"
			       "write-burst %u\noutput-bytes %zu\n"
			       "transaction-bytes %zu\n",
			       q->nodes, q->node_size, q->memory, q->watches,
			       q->transactions, q->tx_nodes, q->path_max,
			       q->outstanding, q->perms, q->write_rate,
			       q->write_burst, q->output_bytes, q->tx_bytes);
	} else if (!strcmp(a->s[0], "stats")) {
		struct xsd_stats st;

		xsd_stats(d, &st);
		len = snprintf(out, sizeof(out),
			       "nodes %" PRIu64 "\nconnections %" PRIu64
			       "\nwatches %" PRIu64 "\ntransactions %" PRIu64
			       "\nrequests %" PRIu64 "\nerrors %" PRIu64
			       "\nevents-dropped %" PRIu64
			       "\nevents-oversized %" PRIu64
			       "\nconnections-killed %" PRIu64
			       "\noutput-bytes %zu\n",
			       st.nodes, st.connections, st.watches,
			       st.transactions, st.requests, st.errors,
			       st.events_dropped, st.events_oversized,
			       st.conns_killed,
			       st.output_bytes);
	} else if (!strcmp(a->s[0], "save") && a->n == 2) {
		int err = xsd_save(d, a->s[1]);

		if (err)
			return err;
		len = snprintf(out, sizeof(out), "OK");
	} else {
		return -EINVAL;
	}
	reply(r->c, r->h, out, (size_t)len + 1);
	return 0;
}

/* ---- dispatch ---- */

enum {
	ARGS_ONE = 1, /* exactly one string */
	ARGS_TWO, /* exactly two */
	ARGS_FIRST, /* one, then raw bytes */
	ARGS_ANY, /* any number of strings */
	ARGS_NONE, /* ignored */
};

struct op {
	int (*fn)(struct req *r, struct args *a);
	uint8_t args;
	bool privileged; /* only dom0 / the toolstack */
	bool in_tx; /* may name a transaction */
};

static const struct op ops[SDRV_XS_TYPE_COUNT] = {
	[SDRV_XS_CONTROL] = { do_control, ARGS_ANY, true, false },
	[SDRV_XS_DIRECTORY] = { do_directory, ARGS_ONE, false, true },
	[SDRV_XS_READ] = { do_read, ARGS_ONE, false, true },
	[SDRV_XS_GET_PERMS] = { do_get_perms, ARGS_ONE, false, true },
	[SDRV_XS_WATCH] = { do_watch, ARGS_ANY, false, false },
	[SDRV_XS_UNWATCH] = { do_unwatch, ARGS_ANY, false, false },
	[SDRV_XS_TRANSACTION_START] = { do_transaction_start, ARGS_NONE,
					false, true },
	[SDRV_XS_TRANSACTION_END] = { do_transaction_end, ARGS_ONE, false,
				      true },
	[SDRV_XS_INTRODUCE] = { do_introduce, ARGS_ANY, true, false },
	[SDRV_XS_RELEASE] = { do_release, ARGS_ONE, true, false },
	[SDRV_XS_GET_DOMAIN_PATH] = { do_get_domain_path, ARGS_ONE, false,
				      false },
	[SDRV_XS_WRITE] = { do_write, ARGS_FIRST, false, true },
	[SDRV_XS_MKDIR] = { do_mkdir, ARGS_ONE, false, true },
	[SDRV_XS_RM] = { do_rm, ARGS_ONE, false, true },
	[SDRV_XS_SET_PERMS] = { do_set_perms, ARGS_FIRST, false, true },
	[SDRV_XS_IS_DOMAIN_INTRODUCED] = { do_is_domain_introduced,
					   ARGS_ONE, true, false },
	[SDRV_XS_RESUME] = { do_resume, ARGS_ONE, true, false },
	[SDRV_XS_SET_TARGET] = { do_set_target, ARGS_TWO, true, false },
	[SDRV_XS_RESET_WATCHES] = { do_reset_watches, ARGS_NONE, false,
				    false },
	[SDRV_XS_DIRECTORY_PART] = { do_directory_part, ARGS_TWO, false,
				     true },
};

void ops_handle(struct conn *c, const struct sdrv_xs_msg *h, char *payload)
{
	const struct op *op = h->type < SDRV_XS_TYPE_COUNT ? &ops[h->type]
							   : NULL;
	struct req r = { .c = c, .h = h };
	struct args a = { 0 };
	int err = 0;

	c->d->stats.requests++;
	if (!op || !op->fn) {
		reply_err(c, h, -ENOSYS);
		return;
	}
	switch (op->args) {
	case ARGS_ONE:
		err = split(payload, h->len, 1, &a);
		/* A READ whose path lacks its NUL names no node: Xen's C
		 * daemon answers ENOENT. */
		if (err == -EINVAL && h->type == SDRV_XS_READ && h->len &&
		    xs_strnlen(payload, h->len) == h->len)
			err = -ENOENT;
		break;
	case ARGS_TWO:
		err = split(payload, h->len, 2, &a);
		break;
	case ARGS_FIRST:
		err = split_first(payload, h->len, &a);
		break;
	case ARGS_ANY:
		err = split(payload, h->len, 0, &a);
		break;
	default:
		break;
	}
	if (!err && op->privileged && !c->privileged)
		err = -EACCES;
	r.view.store = &c->d->store;
	if (!err && h->tx_id && h->type != SDRV_XS_TRANSACTION_START) {
		if (!op->in_tx)
			err = -EINVAL;
		else if (!(r.txn = txn_find(c, h->tx_id)))
			err = -ENOENT;
		else if (r.txn->overflow && h->type != SDRV_XS_TRANSACTION_END)
			err = -ENOSPC;
		else
			r.view.tx = r.txn->tx;
	}
	if (!err)
		err = op->fn(&r, &a);
	/* Every request in a transaction, failed ones too (a failed read
	 * still records what it looked at), is held to its bounds: one
	 * that outgrew them is dropped now and can only fail. */
	if (r.txn && h->type != SDRV_XS_TRANSACTION_END && !r.txn->overflow &&
	    txn_over_bounds(c, r.txn)) {
		xs_tx_free(r.txn->tx);
		r.txn->tx = NULL;
		r.txn->overflow = true;
		XSD_LOG(c->d, "domain %u: transaction %u over its bounds, dropped",
			c->domid, h->tx_id);
	}
	if (err)
		reply_err(c, h, err);
}
