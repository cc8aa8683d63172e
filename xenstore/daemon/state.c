/* SPDX-License-Identifier: MIT */
/*
 * Save and restore: what a restarted daemon needs to carry on as if it had
 * not stopped (Xen's live update carries the same): every node with its
 * permissions, every introduced guest with its watches, the bytes of a
 * request it had begun reading and the replies it had not yet delivered.
 * Socket clients reconnect.
 *
 * Format (host byte order; the same machine reads it back):
 *   "SDRVXS01", then records: u8 type, u32 length, length bytes.
 *   NODE   u32 nr_perms, perms (u16 domid, u8 perm)..., u32 path_len,
 *          path, u32 value_len, value, u32 children_len, children
 *   DOMAIN u16 domid, u64 frame, u32 port, u32 in_got, in bytes,
 *          u32 out_len, out bytes (queued messages, as sent)
 *   WATCH  u16 domid, u32 rel_off, u32 path_len, path, u32 tok_len, token
 *   END
 * The file is written beside its name and renamed, so a crash mid-save
 * leaves the previous state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xsd_internal.h"

enum { REC_END = 0, REC_NODE = 1, REC_DOMAIN = 2, REC_WATCH = 3 };
static const char magic[8] = "SDRVXS01";

struct buf {
	unsigned char *p;
	size_t len, cap;
	bool oom;
};

static void put(struct buf *b, const void *data, size_t len)
{
	if (b->oom)
		return;
	if (b->len + len > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 4096) + len;
		unsigned char *p = realloc(b->p, cap);

		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void put_u32(struct buf *b, uint32_t v)
{
	put(b, &v, sizeof(v));
}

static void put_bytes(struct buf *b, const void *data, size_t len)
{
	put_u32(b, (uint32_t)len);
	put(b, data, len);
}

/* A record: type, then the length patched in once the body is written. */
static size_t rec_begin(struct buf *b, uint8_t type)
{
	put(b, &type, 1);
	put_u32(b, 0);
	return b->len;
}

static void rec_end(struct buf *b, size_t body)
{
	uint32_t len = (uint32_t)(b->len - body);

	if (!b->oom)
		memcpy(b->p + body - sizeof(len), &len, sizeof(len));
}

static void save_node(const struct xs_node *n, void *arg)
{
	struct buf *b = arg;
	size_t body = rec_begin(b, REC_NODE);

	put_u32(b, n->nr_perms);
	for (uint32_t i = 0; i < n->nr_perms; i++) {
		put(b, &n->perms[i].domid, 2);
		put(b, &n->perms[i].perm, 1);
	}
	put_bytes(b, n->key.path, n->key.path_len);
	put_bytes(b, n->value, n->value_len);
	put_bytes(b, n->children, n->children_len);
	rec_end(b, body);
}

static void save_domain(struct buf *b, struct domain *dom)
{
	struct conn *c = dom->conn;
	size_t body = rec_begin(b, REC_DOMAIN);
	uint32_t port = dom->remote_port;
	size_t out_len = 0;

	put(b, &dom->domid, 2);
	put(b, &dom->frame, 8);
	put_u32(b, port);
	if (c && !c->dead) {
		put_u32(b, (uint32_t)c->in_got);
		if (c->in_got <= sizeof(c->in_hdr)) {
			put(b, &c->in_hdr, c->in_got);
		} else {
			put(b, &c->in_hdr, sizeof(c->in_hdr));
			put(b, c->in_buf, c->in_got - sizeof(c->in_hdr));
		}
		for (struct outmsg *m = c->out_head; m; m = m->next)
			out_len += m->len;
		out_len -= c->out_off;
		put_u32(b, (uint32_t)out_len);
		for (struct outmsg *m = c->out_head; m; m = m->next) {
			size_t skip = m == c->out_head ? c->out_off : 0;

			put(b, m->data + skip, m->len - skip);
		}
	} else {
		put_u32(b, 0);
		put_u32(b, 0);
	}
	rec_end(b, body);
	for (struct watch *w = c ? c->watches : NULL; w; w = w->next) {
		body = rec_begin(b, REC_WATCH);
		put(b, &dom->domid, 2);
		put_u32(b, (uint32_t)w->rel_off);
		put_bytes(b, w->path, w->path_len);
		put_bytes(b, w->token, strlen(w->token));
		rec_end(b, body);
	}
}

int xsd_save(struct xsd *d, const char *path)
{
	struct buf b = { 0 };
	char tmp[4096];
	FILE *f;
	int err = 0;

	put(&b, magic, sizeof(magic));
	xs_store_foreach(&d->store, save_node, &b);
	for (struct domain *dom = d->domains; dom; dom = dom->next)
		save_domain(&b, dom);
	rec_end(&b, rec_begin(&b, REC_END));
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp)) {
		free(b.p);
		return -ENAMETOOLONG;
	}
	f = fopen(tmp, "wbe");
	if (!f) {
		err = -errno;
	} else {
		if (fwrite(b.p, 1, b.len, f) != b.len)
			err = -EIO;
		if (fclose(f) && !err)
			err = -errno;
		if (!err && rename(tmp, path))
			err = -errno;
		if (err)
			unlink(tmp);
	}
	free(b.p);
	return err;
}

/* ---- restore ---- */

struct reader {
	const unsigned char *p;
	size_t len, off;
	bool bad;
};

static const void *get(struct reader *r, size_t len)
{
	const void *at = r->p + r->off;

	if (r->bad || len > r->len - r->off) {
		r->bad = true;
		return NULL;
	}
	r->off += len;
	return at;
}

static uint32_t get_u32(struct reader *r)
{
	uint32_t v = 0;
	const void *p = get(r, 4);

	if (p)
		memcpy(&v, p, 4);
	return v;
}

static const char *get_bytes(struct reader *r, uint32_t *len)
{
	*len = get_u32(r);
	return get(r, *len);
}

static int restore_node(struct xsd *d, struct reader *r)
{
	uint32_t nr = get_u32(r), plen, vlen, clen;
	struct sdrv_xs_perm *perms;
	const char *path, *value, *children;
	struct xs_node *n;

	if (r->bad || nr == 0 || nr > 65536)
		return -EINVAL;
	perms = calloc(nr, sizeof(*perms));
	if (!perms)
		return -ENOMEM;
	for (uint32_t i = 0; i < nr; i++) {
		const unsigned char *p = get(r, 3);

		if (!p)
			break;
		memcpy(&perms[i].domid, p, 2);
		perms[i].perm = p[2] & 3;
	}
	path = get_bytes(r, &plen);
	value = get_bytes(r, &vlen);
	children = get_bytes(r, &clen);
	if (r->bad || plen == 0 || plen > SDRV_XS_ABS_PATH_MAX ||
	    (clen && children[clen - 1] != '\0')) {
		free(perms);
		return -EINVAL;
	}
	n = xs_node_build(path, plen, value, vlen, perms, nr, children, clen);
	free(perms);
	if (!n)
		return -ENOMEM;
	return xs_put((struct xs_view){ &d->store, NULL }, n);
}

static int restore_domain(struct xsd *d, struct reader *r)
{
	const uint16_t *domid = get(r, 2);
	const uint64_t *frame = get(r, 8);
	uint32_t port = get_u32(r), in_len, out_len;
	const char *in = get_bytes(r, &in_len);
	const char *out = get_bytes(r, &out_len);
	uint16_t id;
	uint64_t fr;
	struct domain *dom;
	int err;

	if (r->bad || in_len > sizeof(struct sdrv_xs_msg) + SDRV_XS_PAYLOAD_MAX)
		return -EINVAL;
	memcpy(&id, domid, 2);
	memcpy(&fr, frame, 8);
	err = domain_introduce(d, id, fr, port);
	if (err) {
		/* The guest went away while we were down: skip it. */
		xsd_log("state: domain %u not restored: %s", id,
			strerror(-err));
		return 0;
	}
	dom = domain_find(d, id);
	if (!dom || !dom->conn)
		return 0;
	conn_feed(dom->conn, in, in_len);
	if (out_len) {
		struct outmsg *m = malloc(sizeof(*m) + out_len);

		if (!m)
			return -ENOMEM;
		m->next = NULL;
		m->len = out_len;
		m->reply = false;
		memcpy(m->data, out, out_len);
		*dom->conn->out_tail = m;
		dom->conn->out_tail = &m->next;
		dom->conn->out_bytes += out_len;
		d->stats.output_bytes += out_len;
	}
	return 0;
}

static int restore_watch(struct xsd *d, struct reader *r)
{
	const uint16_t *domid = get(r, 2);
	uint32_t rel_off = get_u32(r), plen, tlen;
	const char *path = get_bytes(r, &plen);
	const char *token = get_bytes(r, &tlen);
	char p[SDRV_XS_ABS_PATH_MAX + 1], t[SDRV_XS_PAYLOAD_MAX + 1];
	struct domain *dom;
	uint16_t id;

	if (r->bad || plen > SDRV_XS_ABS_PATH_MAX || tlen > SDRV_XS_PAYLOAD_MAX ||
	    rel_off > plen)
		return -EINVAL;
	memcpy(&id, domid, 2);
	dom = domain_find(d, id);
	if (!dom || !dom->conn)
		return 0;
	memcpy(p, path, plen);
	p[plen] = '\0';
	memcpy(t, token, tlen);
	t[tlen] = '\0';
	return watch_add(dom->conn, p, t, rel_off) == -ENOMEM ? -ENOMEM : 0;
}

int xsd_restore(struct xsd *d, const char *path)
{
	FILE *f = fopen(path, "rbe");
	struct reader r = { 0 };
	unsigned char *data = NULL;
	size_t cap = 0;
	int err = 0;
	bool end = false;

	if (!f)
		return -errno;
	for (;;) {
		unsigned char *p = realloc(data, cap + 65536);
		size_t n;

		if (!p) {
			err = -ENOMEM;
			break;
		}
		data = p;
		n = fread(data + cap, 1, 65536, f);
		cap += n;
		if (n < 65536)
			break;
	}
	fclose(f);
	r.p = data;
	r.len = cap;
	if (!err && (cap < sizeof(magic) || memcmp(data, magic, sizeof(magic))))
		err = -EINVAL;
	r.off = sizeof(magic);
	/* Start from an empty store: the file has the whole tree. */
	if (!err) {
		xs_store_fini(&d->store);
		err = xs_store_init(&d->store);
	}
	while (!err && !end) {
		const uint8_t *type = get(&r, 1);
		uint32_t len = get_u32(&r);
		struct reader rec;

		if (r.bad || !get(&r, len)) {
			err = -EINVAL;
			break;
		}
		rec = (struct reader){ r.p + r.off - len, len, 0, false };
		switch (*type) {
		case REC_NODE:
			err = restore_node(d, &rec);
			break;
		case REC_DOMAIN:
			err = restore_domain(d, &rec);
			break;
		case REC_WATCH:
			err = restore_watch(d, &rec);
			break;
		case REC_END:
			end = true;
			break;
		default:
			err = -EINVAL;
		}
	}
	free(data);
	if (!err && !end)
		err = -EINVAL;
	if (!err && !xs_get((struct xs_view){ &d->store, NULL }, "/", 1))
		err = -EINVAL;
	return err;
}
