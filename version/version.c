/* SPDX-License-Identifier: MIT */
/* version/version.c - the running library's version (splitdrv/version.h).
 * Freestanding: a guest kernel links it. */
#include <splitdrv/version.h>

SDRV_PUBLIC const char *sdrv_version(void)
{
	return SDRV_VERSION_STRING;
}

SDRV_PUBLIC bool sdrv_version_check(unsigned major, unsigned minor)
{
	if (major > 255 || minor > 255)
		return false;
	return SDRV_VERSION_NUMBER(major, minor, 0u) <= (unsigned)SDRV_VERSION;
}
