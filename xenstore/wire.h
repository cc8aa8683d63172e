/* SPDX-License-Identifier: MIT */
/*
 * Private helpers of the XenStore wire, shared by the client and the daemon.
 * Freestanding.
 */
#ifndef XENSTORE_WIRE_H
#define XENSTORE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length of @s, looking at no more than @max bytes. */
size_t xs_strnlen(const char *s, size_t max);
/* Whether @a and @b agree in their first @len bytes. */
bool xs_bytes_equal(const char *a, const char *b, size_t len);
/* Unsigned decimal of exactly @len digits, <= @max.  Return: 0 or
 * -SDRV_EINVAL. */
int xs_parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out);
/* Decimal of @v plus NUL into @buf (>= 21 bytes).  Return: digits. */
size_t xs_format_uint(uint64_t v, char *buf);

#endif
