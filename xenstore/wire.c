/* SPDX-License-Identifier: MIT */
/*
 * XenStore wire helpers shared by the client and the daemon: error names,
 * permission strings.  Freestanding.
 */
#include <splitdrv/xs.h>

#include "wire.h"

/* Xen's table order; the wire carries the names. */
static const struct {
	int err;
	const char *name;
} error_names[] = {
	{ SDRV_EINVAL, "EINVAL" },     { SDRV_EACCES, "EACCES" },
	{ SDRV_EEXIST, "EEXIST" },     { SDRV_EISDIR, "EISDIR" },
	{ SDRV_ENOENT, "ENOENT" },     { SDRV_ENOMEM, "ENOMEM" },
	{ SDRV_ENOSPC, "ENOSPC" },     { SDRV_EIO, "EIO" },
	{ SDRV_ENOTEMPTY, "ENOTEMPTY" }, { SDRV_ENOSYS, "ENOSYS" },
	{ SDRV_EROFS, "EROFS" },       { SDRV_EBUSY, "EBUSY" },
	{ SDRV_EAGAIN, "EAGAIN" },     { SDRV_EISCONN, "EISCONN" },
	{ SDRV_E2BIG, "E2BIG" },       { SDRV_EPERM, "EPERM" },
};
#define NR_ERROR_NAMES (sizeof(error_names) / sizeof(error_names[0]))

size_t xs_strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

bool xs_bytes_equal(const char *a, const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

SDRV_PUBLIC int sdrv_xs_errno(const char *name, size_t len)
{
	/* A trailing NUL is part of what the wire sends. */
	if (len && name[len - 1] == '\0')
		len--;
	for (size_t i = 0; i < NR_ERROR_NAMES; i++) {
		const char *n = error_names[i].name;

		if (xs_strnlen(n, 16) == len && xs_bytes_equal(n, name, len))
			return -error_names[i].err;
	}
	return -SDRV_EINVAL;
}

SDRV_PUBLIC const char *sdrv_xs_errname(int negative_errno)
{
	for (size_t i = 0; i < NR_ERROR_NAMES; i++)
		if (-error_names[i].err == negative_errno)
			return error_names[i].name;
	return "EINVAL";
}

int xs_parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return -SDRV_EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';

		if (d > 9)
			return -SDRV_EINVAL;
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, d, &v))
			return -SDRV_EINVAL;
	}
	if (v > max)
		return -SDRV_EINVAL;
	*out = v;
	return 0;
}

size_t xs_format_uint(uint64_t v, char *buf)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

SDRV_PUBLIC int sdrv_xs_perm_parse(const char *s, size_t len,
				   struct sdrv_xs_perm *out)
{
	uint64_t domid;
	uint8_t perm;

	if (len < 2)
		return -SDRV_EINVAL;
	switch (s[0]) {
	case 'n':
		perm = SDRV_XS_PERM_NONE;
		break;
	case 'r':
		perm = SDRV_XS_PERM_READ;
		break;
	case 'w':
		perm = SDRV_XS_PERM_WRITE;
		break;
	case 'b':
		perm = SDRV_XS_PERM_BOTH;
		break;
	default:
		return -SDRV_EINVAL;
	}
	if (xs_parse_uint(s + 1, len - 1, UINT16_MAX, &domid))
		return -SDRV_EINVAL;
	out->domid = (uint16_t)domid;
	out->perm = perm;
	return 0;
}

SDRV_PUBLIC size_t sdrv_xs_perm_format(struct sdrv_xs_perm p, char *buf)
{
	static const char letters[4] = { 'n', 'r', 'w', 'b' };

	buf[0] = letters[p.perm & 3];
	return 1 + xs_format_uint(p.domid, buf + 1);
}
