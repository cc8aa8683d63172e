/* SPDX-License-Identifier: MIT */
/*
 * Our wire definitions equal Xen's (invariant 1): sizes, offsets and ring
 * sizes, asserted at compile time against the system's Xen public headers
 * (libxen-dev).  If this file compiles, the layouts agree; the criterion
 * cases below re-check the same facts at run time, so the suite reports them.
 */
#include <errno.h>

#include "xen_peer.h"

#include <criterion/criterion.h>
#include <splitdrv/blkif.h>
#include <splitdrv/errno.h>
#include <splitdrv/netif.h>

#include "abi_assert.h"

/* The shared ring header. */
SAME_FIELD(struct sdrv_sring, struct blkif_sring, req_prod, req_prod);
SAME_FIELD(struct sdrv_sring, struct blkif_sring, req_event, req_event);
SAME_FIELD(struct sdrv_sring, struct blkif_sring, rsp_prod, rsp_prod);
SAME_FIELD(struct sdrv_sring, struct blkif_sring, rsp_event, rsp_event);
SAME_FIELD(struct sdrv_sring, struct blkif_sring, pvt, pvt);
_Static_assert(offsetof(struct blkif_sring, ring) == SDRV_SRING_HEADER_SIZE,
	       "slots start after the header");
_Static_assert(offsetof(struct netif_tx_sring, ring) == SDRV_SRING_HEADER_SIZE,
	       "slots start after the header (netif tx)");
_Static_assert(offsetof(struct xmsg64_sring, ring) == SDRV_SRING_HEADER_SIZE,
	       "slots start after the header (64-byte test ring)");

/* Slots. */
SAME_SIZE(union sdrv_blkif_slot, union blkif_sring_entry);
SAME_SIZE(union sdrv_netif_tx_slot, union netif_tx_sring_entry);
SAME_SIZE(union sdrv_netif_rx_slot, union netif_rx_sring_entry);
SAME_SIZE(union msg64_slot, union xmsg64_sring_entry);

/* Ring sizes for every page order a protocol negotiates. */
#define SAME_RING_SIZE(ours, theirs, bytes)                                    \
	_Static_assert(SDRV_RING_NR_SLOTS_CONST(bytes, sizeof(union ours)) ==  \
			       __CONST_RING_SIZE(theirs, bytes),               \
		       #theirs " ring size at " #bytes)
#define SAME_RING_SIZES(ours, theirs)                                          \
	SAME_RING_SIZE(ours, theirs, 4096);                                    \
	SAME_RING_SIZE(ours, theirs, 2 * 4096);                                \
	SAME_RING_SIZE(ours, theirs, 4 * 4096);                                \
	SAME_RING_SIZE(ours, theirs, 8 * 4096);                                \
	SAME_RING_SIZE(ours, theirs, 16 * 4096)
SAME_RING_SIZES(sdrv_blkif_slot, blkif);
SAME_RING_SIZES(sdrv_netif_tx_slot, netif_tx);
SAME_RING_SIZES(sdrv_netif_rx_slot, netif_rx);
SAME_RING_SIZES(msg64_slot, xmsg64);

/* blkif */
SAME_SIZE(struct sdrv_blkif_segment, struct blkif_request_segment);
SAME_FIELD(struct sdrv_blkif_segment, struct blkif_request_segment, gref, gref);
SAME_FIELD(struct sdrv_blkif_segment, struct blkif_request_segment, first_sect,
	   first_sect);
SAME_FIELD(struct sdrv_blkif_segment, struct blkif_request_segment, last_sect,
	   last_sect);
SAME_SIZE(struct sdrv_blkif_request, struct blkif_request);
SAME_FIELD(struct sdrv_blkif_request, struct blkif_request, operation,
	   operation);
SAME_FIELD(struct sdrv_blkif_request, struct blkif_request, nr_segments,
	   nr_segments);
SAME_FIELD(struct sdrv_blkif_request, struct blkif_request, handle, handle);
SAME_FIELD(struct sdrv_blkif_request, struct blkif_request, id, id);
SAME_FIELD(struct sdrv_blkif_request, struct blkif_request, sector_number,
	   sector_number);
SAME_FIELD(struct sdrv_blkif_request, struct blkif_request, seg, seg);
SAME_SIZE(struct sdrv_blkif_request_discard, struct blkif_request_discard);
SAME_FIELD(struct sdrv_blkif_request_discard, struct blkif_request_discard,
	   flag, flag);
SAME_FIELD(struct sdrv_blkif_request_discard, struct blkif_request_discard,
	   sector_number, sector_number);
SAME_FIELD(struct sdrv_blkif_request_discard, struct blkif_request_discard,
	   nr_sectors, nr_sectors);
SAME_SIZE(struct sdrv_blkif_request_indirect, struct blkif_request_indirect);
SAME_FIELD(struct sdrv_blkif_request_indirect, struct blkif_request_indirect,
	   indirect_op, indirect_op);
SAME_FIELD(struct sdrv_blkif_request_indirect, struct blkif_request_indirect,
	   nr_segments, nr_segments);
SAME_FIELD(struct sdrv_blkif_request_indirect, struct blkif_request_indirect,
	   id, id);
SAME_FIELD(struct sdrv_blkif_request_indirect, struct blkif_request_indirect,
	   handle, handle);
SAME_FIELD(struct sdrv_blkif_request_indirect, struct blkif_request_indirect,
	   indirect_grefs, indirect_grefs);
SAME_SIZE(struct sdrv_blkif_response, struct blkif_response);
SAME_FIELD(struct sdrv_blkif_response, struct blkif_response, id, id);
SAME_FIELD(struct sdrv_blkif_response, struct blkif_response, operation,
	   operation);
SAME_FIELD(struct sdrv_blkif_response, struct blkif_response, status, status);
_Static_assert(SDRV_BLKIF_MAX_SEGMENTS == BLKIF_MAX_SEGMENTS_PER_REQUEST, "");
_Static_assert(SDRV_BLKIF_MAX_INDIRECT_PAGES ==
		       BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST, "");
_Static_assert(SDRV_BLKIF_OP_READ == BLKIF_OP_READ &&
		       SDRV_BLKIF_OP_WRITE == BLKIF_OP_WRITE &&
		       SDRV_BLKIF_OP_WRITE_BARRIER == BLKIF_OP_WRITE_BARRIER &&
		       SDRV_BLKIF_OP_FLUSH_DISKCACHE ==
			       BLKIF_OP_FLUSH_DISKCACHE &&
		       SDRV_BLKIF_OP_DISCARD == BLKIF_OP_DISCARD &&
		       SDRV_BLKIF_OP_INDIRECT == BLKIF_OP_INDIRECT,
	       "blkif operations");
_Static_assert(SDRV_BLKIF_RSP_OKAY == BLKIF_RSP_OKAY &&
		       SDRV_BLKIF_RSP_ERROR == BLKIF_RSP_ERROR &&
		       SDRV_BLKIF_RSP_EOPNOTSUPP == BLKIF_RSP_EOPNOTSUPP,
	       "blkif status");

/* netif */
SAME_SIZE(struct sdrv_netif_tx_request, struct netif_tx_request);
SAME_FIELD(struct sdrv_netif_tx_request, struct netif_tx_request, gref, gref);
SAME_FIELD(struct sdrv_netif_tx_request, struct netif_tx_request, offset,
	   offset);
SAME_FIELD(struct sdrv_netif_tx_request, struct netif_tx_request, flags, flags);
SAME_FIELD(struct sdrv_netif_tx_request, struct netif_tx_request, id, id);
SAME_FIELD(struct sdrv_netif_tx_request, struct netif_tx_request, size, size);
SAME_SIZE(struct sdrv_netif_tx_response, struct netif_tx_response);
SAME_FIELD(struct sdrv_netif_tx_response, struct netif_tx_response, status,
	   status);
SAME_SIZE(struct sdrv_netif_extra_info, struct netif_extra_info);
SAME_FIELD(struct sdrv_netif_extra_info, struct netif_extra_info, u.gso.size,
	   u.gso.size);
SAME_FIELD(struct sdrv_netif_extra_info, struct netif_extra_info,
	   u.gso.features, u.gso.features);
SAME_FIELD(struct sdrv_netif_extra_info, struct netif_extra_info,
	   u.mcast.addr, u.mcast.addr);
SAME_FIELD(struct sdrv_netif_extra_info, struct netif_extra_info,
	   u.hash.value, u.hash.value);
SAME_SIZE(struct sdrv_netif_rx_request, struct netif_rx_request);
SAME_FIELD(struct sdrv_netif_rx_request, struct netif_rx_request, id, id);
SAME_FIELD(struct sdrv_netif_rx_request, struct netif_rx_request, gref, gref);
SAME_SIZE(struct sdrv_netif_rx_response, struct netif_rx_response);
SAME_FIELD(struct sdrv_netif_rx_response, struct netif_rx_response, offset,
	   offset);
SAME_FIELD(struct sdrv_netif_rx_response, struct netif_rx_response, flags,
	   flags);
SAME_FIELD(struct sdrv_netif_rx_response, struct netif_rx_response, status,
	   status);
_Static_assert(SDRV_NETTXF_CSUM_BLANK == NETTXF_csum_blank &&
		       SDRV_NETTXF_DATA_VALIDATED == NETTXF_data_validated &&
		       SDRV_NETTXF_MORE_DATA == NETTXF_more_data &&
		       SDRV_NETTXF_EXTRA_INFO == NETTXF_extra_info,
	       "tx flags");
_Static_assert(SDRV_NETRXF_DATA_VALIDATED == NETRXF_data_validated &&
		       SDRV_NETRXF_CSUM_BLANK == NETRXF_csum_blank &&
		       SDRV_NETRXF_MORE_DATA == NETRXF_more_data &&
		       SDRV_NETRXF_EXTRA_INFO == NETRXF_extra_info,
	       "rx flags");
_Static_assert(SDRV_NETIF_RSP_OKAY == NETIF_RSP_OKAY &&
		       SDRV_NETIF_RSP_ERROR == NETIF_RSP_ERROR &&
		       SDRV_NETIF_RSP_DROPPED == NETIF_RSP_DROPPED &&
		       SDRV_NETIF_RSP_NULL == NETIF_RSP_NULL,
	       "netif status");
_Static_assert(SDRV_NETIF_EXTRA_TYPE_GSO == XEN_NETIF_EXTRA_TYPE_GSO &&
		       SDRV_NETIF_EXTRA_TYPE_HASH == XEN_NETIF_EXTRA_TYPE_HASH &&
		       SDRV_NETIF_EXTRA_FLAG_MORE == XEN_NETIF_EXTRA_FLAG_MORE,
	       "extra info");
_Static_assert(SDRV_NETIF_MAX_TX_SIZE == XEN_NETIF_MAX_TX_SIZE, "");
_Static_assert(SDRV_NETIF_GSO_TYPE_NONE == XEN_NETIF_GSO_TYPE_NONE &&
		       SDRV_NETIF_GSO_TYPE_TCPV4 == XEN_NETIF_GSO_TYPE_TCPV4 &&
		       SDRV_NETIF_GSO_TYPE_TCPV6 == XEN_NETIF_GSO_TYPE_TCPV6,
	       "GSO types");

/* Our errno values are the host's. */
_Static_assert(SDRV_EPERM == EPERM && SDRV_ENOENT == ENOENT &&
		       SDRV_EIO == EIO && SDRV_E2BIG == E2BIG &&
		       SDRV_EBADF == EBADF && SDRV_EAGAIN == EAGAIN &&
		       SDRV_ENOMEM == ENOMEM && SDRV_EACCES == EACCES &&
		       SDRV_EFAULT == EFAULT && SDRV_EBUSY == EBUSY &&
		       SDRV_EEXIST == EEXIST && SDRV_EINVAL == EINVAL &&
		       SDRV_ENOSPC == ENOSPC && SDRV_ERANGE == ERANGE &&
		       SDRV_ENOSYS == ENOSYS && SDRV_EPROTO == EPROTO &&
		       SDRV_EOVERFLOW == EOVERFLOW &&
		       SDRV_ENOTCONN == ENOTCONN && SDRV_ESHUTDOWN == ESHUTDOWN &&
		       SDRV_EISDIR == EISDIR && SDRV_EROFS == EROFS &&
		       SDRV_ENOTEMPTY == ENOTEMPTY && SDRV_EISCONN == EISCONN &&
		       SDRV_ETIMEDOUT == ETIMEDOUT && SDRV_EOPNOTSUPP == EOPNOTSUPP &&
		       SDRV_ENOBUFS == ENOBUFS,
	       "errno values");

/* Run time: the runtime sizing function agrees with Xen's RING_SIZE() on an
 * attached ring, for every order. */
Test(ring_abi, runtime_ring_sizes_equal_xen_ring_size)
{
	static char page[16 * 4096] __attribute__((aligned(4096)));

	for (size_t bytes = 4096; bytes <= sizeof(page); bytes *= 2) {
		blkif_front_ring_t xb;
		netif_tx_front_ring_t xt;
		netif_rx_back_ring_t xr;

		SHARED_RING_INIT((blkif_sring_t *)(void *)page);
		FRONT_RING_INIT(&xb, (blkif_sring_t *)(void *)page, bytes);
		FRONT_RING_INIT(&xt, (netif_tx_sring_t *)(void *)page, bytes);
		BACK_RING_INIT(&xr, (netif_rx_sring_t *)(void *)page, bytes);
		cr_assert_eq(sdrv_blkif_ring_nr_slots(bytes), RING_SIZE(&xb));
		cr_assert_eq(sdrv_netif_tx_ring_nr_slots(bytes),
			     RING_SIZE(&xt));
		cr_assert_eq(sdrv_netif_rx_ring_nr_slots(bytes),
			     RING_SIZE(&xr));
	}
}

Test(ring_abi, sring_init_writes_what_shared_ring_init_writes)
{
	static unsigned char ours[4096] __attribute__((aligned(4096)));
	static unsigned char theirs[4096] __attribute__((aligned(4096)));

	memset(ours, 0x5A, sizeof(ours));
	memset(theirs, 0x5A, sizeof(theirs));
	cr_assert_eq(sdrv_ring_sring_init(ours, sizeof(ours)), 0);
	SHARED_RING_INIT((blkif_sring_t *)(void *)theirs);
	cr_assert_arr_eq(ours, theirs, sizeof(ours));
}
