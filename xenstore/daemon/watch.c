/* SPDX-License-Identifier: MIT */
/*
 * Watches: registration per connection, and matching a change against
 * every watch.  A change at path E fires a watch on W when E is W or below
 * it (event path E), and, for the removal of a subtree, a watch below E on
 * a node that was removed (event path W), as Xen's daemon does.  Only watchers that may read the
 * node see the event.  "@introduceDomain" and "@releaseDomain" fire from
 * domain.c through the same function; their permissions are those of the
 * special node of that name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xsd_internal.h"

int watch_add(struct conn *c, const char *path, const char *token,
	      size_t rel_off)
{
	size_t plen = strlen(path), tlen = strlen(token);
	struct watch *w;

	for (w = c->watches; w; w = w->next)
		if (!strcmp(w->path, path) && !strcmp(w->token, token))
			return -EEXIST;
	w = malloc(sizeof(*w) + plen + 1 + tlen + 1);
	if (!w)
		return -ENOMEM;
	w->path = (char *)(w + 1);
	w->token = w->path + plen + 1;
	memcpy(w->path, path, plen + 1);
	memcpy(w->token, token, tlen + 1);
	w->path_len = plen;
	w->rel_off = rel_off;
	w->next = c->watches;
	c->watches = w;
	c->nr_watches++;
	c->d->stats.watches++;
	return 0;
}

int watch_remove(struct conn *c, const char *path, const char *token)
{
	for (struct watch **pp = &c->watches; *pp; pp = &(*pp)->next) {
		struct watch *w = *pp;

		if (!strcmp(w->path, path) && !strcmp(w->token, token)) {
			*pp = w->next;
			free(w);
			c->nr_watches--;
			c->d->stats.watches--;
			return 0;
		}
	}
	return -ENOENT;
}

void watch_remove_all(struct conn *c)
{
	while (c->watches) {
		struct watch *w = c->watches;

		c->watches = w->next;
		free(w);
		c->d->stats.watches--;
	}
	c->nr_watches = 0;
	c->events_lost = false;
}

/* Events beyond twice the output bound are dropped; the connection then
 * gets one event per watch once it has read its backlog.  An event over
 * the protocol's payload limit (a long path with a long token) cannot be
 * sent at all: it is dropped and counted. */
void watch_send(struct conn *c, const struct watch *w, const char *path)
{
	size_t plen = strlen(path);
	char buf[SDRV_XS_PAYLOAD_MAX];
	size_t tlen = strlen(w->token), off = 0;

	if (c->dead)
		return;
	if (c->out_bytes > 2 * c->d->cfg.quota.output_bytes) {
		c->events_lost = true;
		c->d->stats.events_dropped++;
		return;
	}
	/* A relative watch sees relative paths (same base). */
	if (w->rel_off && plen >= w->rel_off) {
		path += w->rel_off;
		plen -= w->rel_off;
	}
	if (plen + 1 + tlen + 1 > sizeof(buf)) {
		c->d->stats.events_dropped++;
		c->d->stats.events_oversized++;
		XSD_LOG(c->d, "domain %u: watch event for a %zu-byte path with a %zu-byte token is over %u bytes; dropped",
			c->domid, plen, tlen, SDRV_XS_PAYLOAD_MAX);
		return;
	}
	memcpy(buf, path, plen + 1);
	off = plen + 1;
	memcpy(buf + off, w->token, tlen + 1);
	off += tlen + 1;
	if (conn_send(c, SDRV_XS_WATCH_EVENT, 0, 0, buf, off, false))
		conn_kill(c, "out of memory for a watch event");
}

/* @child is @parent or below it ("/" is above everything). */
static bool is_child(const char *child, size_t clen, const char *parent,
		     size_t plen)
{
	if (plen == 1 && parent[0] == '/')
		return child[0] == '/';
	return clen >= plen && memcmp(child, parent, plen) == 0 &&
	       (clen == plen || child[plen] == '/');
}

/* Whether @path is one of the NUL-separated @list. */
static bool listed(const char *path, size_t len, const char *list,
		   size_t list_len)
{
	for (size_t off = 0; off < list_len;) {
		size_t l = strnlen(list + off, list_len - off);

		if (l == len && !memcmp(list + off, path, len))
			return true;
		off += l + 1;
	}
	return false;
}

void watch_fire(struct xsd *d, const char *path,
		const struct sdrv_xs_perm *perms, size_t nr_perms,
		const char *removed, size_t removed_len)
{
	size_t len = strlen(path);

	for (struct conn *c = d->conns; c; c = c->next) {
		if (c->dead || !c->watches)
			continue;
		if (!(perm_for(c, perms, nr_perms) & SDRV_XS_PERM_READ))
			continue;
		for (struct watch *w = c->watches; w; w = w->next) {
			if (is_child(path, len, w->path, w->path_len))
				watch_send(c, w, path);
			else if (removed &&
				 is_child(w->path, w->path_len, path, len) &&
				 listed(w->path, w->path_len, removed,
					removed_len))
				watch_send(c, w, w->path);
		}
	}
}
