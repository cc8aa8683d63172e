/* SPDX-License-Identifier: MIT */
/*
 * support/xen_peer.h - Xen's own ring macros, as a peer no one here wrote.
 *
 * Includes the system's Xen public headers (Debian's libxen-dev) exactly as
 * Xen's user-space tools do: <xenctrl.h> supplies xen_mb()/xen_rmb()/xen_wmb().
 * Also defines the 64-byte message ring used by tests and ringperf, and its
 * libring twin, so the two sides share one slot layout.
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

#include <splitdrv/ring.h>

/* A 64-byte request and response: one slot per cache line. */
struct msg64 {
	uint64_t w[8];
};

DEFINE_RING_TYPES(xmsg64, struct msg64, struct msg64);
SDRV_RING_DEFINE(msg64, struct msg64, struct msg64);

/* The payload every test and benchmark writes and checks. */
static inline void msg64_fill(struct msg64 *m, uint64_t seq, uint64_t salt)
{
	for (int i = 0; i < 8; i++)
		m->w[i] = (seq * 0x9E3779B97F4A7C15ull) ^ (salt + (uint64_t)i);
	m->w[0] = seq;
}

static inline int msg64_check(const struct msg64 *m, uint64_t seq,
			      uint64_t salt)
{
	if (m->w[0] != seq)
		return 0;
	for (int i = 1; i < 8; i++)
		if (m->w[i] != ((seq * 0x9E3779B97F4A7C15ull) ^
				(salt + (uint64_t)i)))
			return 0;
	return 1;
}

#define MSG64_REQ_SALT 0x1111u
#define MSG64_RSP_SALT 0x2222u

#endif
