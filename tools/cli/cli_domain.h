/* SPDX-License-Identifier: MIT */
/*
 * tools/cli/cli_domain.h - a program becomes a domain of hv-stub, with the
 * errors a user can act on (the daemon not running, the domain not
 * created).  Programs linked with libsplitdrv only (xs-guest, blk-guest,
 * blkback).
 */
#ifndef SDRV_TOOLS_CLI_DOMAIN_H
#define SDRV_TOOLS_CLI_DOMAIN_H

#include <splitdrv/platform.h>
#include <splitdrv/xs.h>

/* The one operand of a guest tool, after its options: a domain id, 1 to
 * SDRV_DOMID_FIRST_RESERVED - 1.  Usage error (exit 2) when it is
 * missing, out of range, or followed by more words. */
unsigned long cli_domain_operand(int argc, char **argv, int optind_now);

/* Attach to domain @id of the hv-stub at @socket (NULL: $HVSTUB_SOCKET,
 * else the default).  Exits with one line on failure. */
struct sdrv_platform *cli_attach_domain(const char *socket, unsigned long id);

/* The domain's XenStore connection over its ring.  Exits with one line,
 * after detaching @p, on failure. */
struct sdrv_xs *cli_open_xs_ring(struct sdrv_platform *p, unsigned long id);

#endif
