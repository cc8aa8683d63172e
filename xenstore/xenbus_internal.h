/* SPDX-License-Identifier: MIT */
/*
 * What xenbus.c and xenbus_bus.c share: building paths piece by piece
 * without libc, and attaching a device with a callback on the peer's
 * state.  Freestanding.
 */
#ifndef XENBUS_INTERNAL_H
#define XENBUS_INTERNAL_H

#include <splitdrv/xenbus.h>

#include "wire.h"

/* A string built piece by piece into a caller's buffer; the first piece
 * that does not fit makes the whole -SDRV_ERANGE and the rest no-ops. */
struct strbuf {
	char *buf;
	size_t len, off;
	int err;
};

static inline struct strbuf strbuf_at(char *buf, size_t len)
{
	struct strbuf b = { buf, len, 0, 0 };

	return b;
}

static inline void put_str(struct strbuf *b, const char *s)
{
	size_t l = xs_strnlen(s, b->len);

	if (b->err)
		return;
	if (b->off + l + 1 > b->len) {
		b->err = -SDRV_ERANGE;
		return;
	}
	/* Byte by byte: short pieces, and no wide copy for the compiler
	 * to suspect of reading past a literal. */
	for (size_t i = 0; i <= l; i++)
		b->buf[b->off + i] = s[i];
	b->off += l;
}

static inline void put_uint(struct strbuf *b, uint64_t v)
{
	char num[24];

	xs_format_uint(v, num);
	put_str(b, num);
}

/* Return: the length, or -SDRV_ERANGE. */
static inline int strbuf_done(const struct strbuf *b)
{
	return b->err ? b->err : (int)b->off;
}

/* @dir + "/" + @key into @buf.  Return: 0 or -SDRV_ERANGE. */
static inline int key_path(char *buf, size_t len, const char *dir, const char *key)
{
	struct strbuf b = strbuf_at(buf, len);

	put_str(&b, dir);
	put_str(&b, "/");
	put_str(&b, key);
	return b.err;
}

/* sdrv_xenbus_attach() with @fn called on each change of the peer's state
 * (NULL: events queue for sdrv_xenbus_wait_peer_state()). */
int xenbus_attach_watch(struct sdrv_xenbus_dev *dev, struct sdrv_xs *xs,
			bool backend, sdrv_domid_t self,
			sdrv_domid_t peer_domid, const char *type,
			uint32_t devid, sdrv_xs_watch_fn fn, void *arg);

#endif
