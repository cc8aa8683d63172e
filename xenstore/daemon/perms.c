/* SPDX-License-Identifier: MIT */
/*
 * Path rules and permission checks, as Xen's daemon applies them.
 *
 * Paths: "/" and "/a/b" (alphanumerics and -/_@), no "//", no trailing
 * "/", at most SDRV_XS_ABS_PATH_MAX bytes.  A path without the leading "/"
 * is relative to the connection's home /local/domain/<id>.  As in Xen's C
 * daemon, a path may run at most quota.path_max bytes (2048) past the
 * "/local/domain/<id>/" it starts with, or in all when it starts with
 * anything else, for every connection, dom0 included.  "@name" is a
 * special watch path.
 *
 * Permissions: the first entry names the owner, who may do anything, and
 * what everyone not listed may do; a domain listed later gets that entry's
 * rights.  Privileged connections (dom0, the socket) may do anything; a
 * domain acting for a target (SET_TARGET) has the target's rights too.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xsd_internal.h"

static bool valid_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '/' ||
	       ch == '_' || ch == '@';
}

/* Bytes of "/local/domain/<n>/" at the start of @path, else 0. */
static size_t home_prefix_len(const char *path, size_t len)
{
	static const char prefix[] = "/local/domain/";
	size_t i = sizeof(prefix) - 1, digits = 0;

	if (len < i || memcmp(path, prefix, i) != 0)
		return 0;
	while (i < len && path[i] >= '0' && path[i] <= '9' && digits < 5) {
		i++;
		digits++;
	}
	if (!digits || i >= len || path[i] != '/')
		return 0;
	return i + 1;
}

int path_canonical(const struct conn *c, const char *in, bool special,
		   char *out, size_t *rel_off)
{
	size_t in_len = strlen(in), len, home = 0;

	*rel_off = 0;
	if (in_len == 0)
		return -EINVAL;
	if (in[0] == '@') {
		if (!special || in_len > SDRV_XS_ABS_PATH_MAX)
			return -EINVAL;
		for (size_t i = 1; i < in_len; i++)
			if (!valid_char(in[i]) || in[i] == '/')
				return -EINVAL;
		memcpy(out, in, in_len + 1);
		return (int)in_len;
	}
	if (in[0] != '/') {
		int n = snprintf(out, SDRV_XS_ABS_PATH_MAX + 1,
				 "/local/domain/%u/", (unsigned)c->domid);

		home = (size_t)n;
		*rel_off = home;
	}
	if (in_len > SDRV_XS_ABS_PATH_MAX - home)
		return -EINVAL;
	memcpy(out + home, in, in_len + 1);
	len = home + in_len;

	for (size_t i = 0; i < len; i++)
		if (!valid_char(out[i]))
			return -EINVAL;
	if (len > 1 && out[len - 1] == '/')
		return -EINVAL;
	if (strstr(out, "//"))
		return -EINVAL;
	if (len - home_prefix_len(out, len) > c->d->cfg.quota.path_max)
		return -EINVAL;
	return (int)len;
}

size_t path_parent_len(const char *path, size_t len)
{
	while (len > 1 && path[len - 1] != '/')
		len--;
	return len > 1 ? len - 1 : 1;
}

static bool acts_for(const struct conn *c, uint16_t domid)
{
	return c->domid == domid || (c->has_target && c->target == domid);
}

bool perm_is_owner(const struct conn *c, const struct sdrv_xs_perm *perms,
		   size_t nr)
{
	return c->privileged || (nr && acts_for(c, perms[0].domid));
}

unsigned perm_for(const struct conn *c, const struct sdrv_xs_perm *perms,
		  size_t nr)
{
	unsigned got = 0;
	bool listed = false;

	if (perm_is_owner(c, perms, nr))
		return SDRV_XS_PERM_BOTH;
	if (!nr)
		return SDRV_XS_PERM_NONE;
	for (size_t i = 1; i < nr; i++)
		if (acts_for(c, perms[i].domid)) {
			got |= perms[i].perm;
			listed = true;
		}
	return listed ? got : perms[0].perm;
}
