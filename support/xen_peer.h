/* SPDX-License-Identifier: MIT */
/*
 * support/xen_peer.h - Xen's own ring macros, as a peer no one here wrote.
 *
 * Includes the system's Xen public headers (Debian's libxen-dev) exactly as
 * Xen's user-space tools do: <xenctrl.h> supplies xen_mb()/xen_rmb()/xen_wmb()
 * (a locked add and compiler barriers on x86-64).  Defines xmsg64, Xen's ring
 * of the same 64-byte message as support/msg64.h.
 */
#ifndef SUPPORT_XEN_PEER_H
#define SUPPORT_XEN_PEER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <xenctrl.h>
#include <xen/io/blkif.h>
#include <xen/io/netif.h>
#include <xen/io/ring.h>

#include "msg64.h"

DEFINE_RING_TYPES(xmsg64, struct msg64, struct msg64);

#endif
