/* SPDX-License-Identifier: MIT */
/*
 * Checksums a guest left blank.  A frontend that sends a frame with
 * NETTXF_csum_blank (Linux's netfront does for TCP and UDP unless told
 * otherwise: its CHECKSUM_PARTIAL) leaves the L4 checksum unfinished; the
 * backend finishes it before anyone else sees the frame, as Linux
 * netback's checksum_setup() does.  Every header is the guest's, so
 * every length is checked against the frame before it is used.
 */
#include "netback.h"

#include <stddef.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#define VLAN_HLEN 4u

/* A big-endian 16-bit field anywhere in the frame. */
static uint16_t be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int nb_csum_complete(struct rte_mbuf *m, const char **why)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), l3 = RTE_ETHER_HDR_LEN, l4, l4_len;
	uint16_t type;
	uint8_t proto;
	uint16_t sum = 0;
	size_t field;

	*why = "a blank checksum on a frame that is not TCP or UDP over IP";
	if (m->nb_segs != 1 || len < l3)
		return -EINVAL;
	type = be16_at(p + 12);
	if (type == RTE_ETHER_TYPE_VLAN) {
		if (len < l3 + VLAN_HLEN)
			return -EINVAL;
		type = be16_at(p + l3 + 2);
		l3 += VLAN_HLEN;
	}
	if (type == RTE_ETHER_TYPE_IPV4) {
		const struct rte_ipv4_hdr *ip = (const void *)(p + l3);
		uint32_t ihl, total;

		if (len < l3 + sizeof(*ip))
			return -EINVAL;
		ihl = (uint32_t)(ip->version_ihl & 0x0f) * 4;
		total = rte_be_to_cpu_16(ip->total_length);
		/* a fragment's checksum covers what is not here */
		if (ihl < sizeof(*ip) || total < ihl || l3 + total > len ||
		    (rte_be_to_cpu_16(ip->fragment_offset) &
		     (RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)))
			return -EINVAL;
		proto = ip->next_proto_id;
		l4 = l3 + ihl;
		l4_len = total - ihl;
	} else if (type == RTE_ETHER_TYPE_IPV6) {
		const struct rte_ipv6_hdr *ip = (const void *)(p + l3);

		if (len < l3 + sizeof(*ip))
			return -EINVAL;
		proto = ip->proto; /* extension headers: not finished here */
		l4 = l3 + (uint32_t)sizeof(*ip);
		l4_len = rte_be_to_cpu_16(ip->payload_len);
		if (l4 + l4_len > len)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (proto == IPPROTO_TCP && l4_len >= sizeof(struct rte_tcp_hdr))
		field = l4 + offsetof(struct rte_tcp_hdr, cksum);
	else if (proto == IPPROTO_UDP && l4_len >= sizeof(struct rte_udp_hdr))
		field = l4 + offsetof(struct rte_udp_hdr, dgram_cksum);
	else
		return -EINVAL;
	/* The headers are packed structures (no alignment assumed); the
	 * sum comes in network order, ready to store. */
	memcpy(p + field, &sum, sizeof(sum));
	if (type == RTE_ETHER_TYPE_IPV4)
		sum = rte_ipv4_udptcp_cksum((const void *)(p + l3), p + l4);
	else
		sum = rte_ipv6_udptcp_cksum((const void *)(p + l3), p + l4);
	memcpy(p + field, &sum, sizeof(sum));
	return 0;
}
