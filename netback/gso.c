/* SPDX-License-Identifier: MIT */
/*
 * Large TCP frames a guest sent with a GSO extra (feature-gso-tcpv4 and
 * -tcpv6: Linux's netfront sends up to 64 KiB at once), and their cutting
 * into frames of the wire's size for those that take no GSO: the ports,
 * and the guests that did not say feature-gso-tcpv4/-tcpv6.  Linux's
 * skb_gso_segment() does this for a device without TSO; here it is a copy
 * of the headers and of each segment's payload into an mbuf of its own,
 * with every length, sequence number and checksum made for that segment.
 * Every header is the guest's, so each length is checked against the
 * frame before it is used.
 */
#include "netback.h"

#include <string.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#define VLAN_HLEN 4u
/* Headers copied for parsing: Ethernet, a VLAN tag, IPv4 with options or
 * IPv6, TCP with options. */
#define HDR_MAX (RTE_ETHER_HDR_LEN + VLAN_HLEN + 60u + 60u)

struct rte_mbuf *nb_mbuf_chain(struct rte_mempool *pool, uint32_t len)
{
	struct rte_mbuf *head = NULL, *tail = NULL;
	uint32_t left = len;

	do {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint16_t part;

		if (!m) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		part = (uint16_t)(left < rte_pktmbuf_tailroom(m) ? left
								  : rte_pktmbuf_tailroom(m));
		m->data_len = part;
		left -= part;
		if (!head) {
			head = m;
		} else {
			tail->next = m;
			head->nb_segs++;
		}
		tail = m;
	} while (left);
	head->pkt_len = len;
	return head;
}

void nb_mbuf_chain_write(struct rte_mbuf *m, uint32_t off, const void *src,
			 uint32_t len)
{
	const char *from = src;

	while (m && off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	while (m && len) {
		uint32_t part = m->data_len - off < len ? m->data_len - off : len;

		memcpy(rte_pktmbuf_mtod_offset(m, char *, off), from, part);
		from += part;
		len -= part;
		off = 0;
		m = m->next;
	}
}

static uint16_t be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

/* Where the headers of a TCP frame over IPv4 or IPv6 end. */
struct tcp_frame {
	uint32_t l3, l4, hdr_len; /* offsets of IP, TCP and the payload */
	bool ipv4;
};

static int parse(const uint8_t *p, uint32_t have, uint32_t len,
		 struct tcp_frame *t, const char **why)
{
	uint16_t type = be16_at(p + 12);
	uint32_t doff;

	*why = "a GSO frame that is not TCP over IPv4 or IPv6 of its GSO type";
	t->l3 = RTE_ETHER_HDR_LEN;
	if (type == RTE_ETHER_TYPE_VLAN) {
		if (have < t->l3 + VLAN_HLEN)
			return -EINVAL;
		type = be16_at(p + t->l3 + 2);
		t->l3 += VLAN_HLEN;
	}
	if (type == RTE_ETHER_TYPE_IPV4) {
		uint32_t ihl;

		if (have < t->l3 + 20)
			return -EINVAL;
		ihl = (uint32_t)(p[t->l3] & 0x0f) * 4;
		/* Not a fragment; the total length says the whole frame's
		 * IP part (a guest's TSO frame is under 64 KiB). */
		if (ihl < 20 || p[t->l3 + 9] != IPPROTO_TCP ||
		    (be16_at(p + t->l3 + 6) & 0x3fff) ||
		    t->l3 + be16_at(p + t->l3 + 2) != len)
			return -EINVAL;
		t->l4 = t->l3 + ihl;
		t->ipv4 = true;
	} else if (type == RTE_ETHER_TYPE_IPV6) {
		/* No extension headers: Linux's TSO frames have none. */
		if (have < t->l3 + 40 || p[t->l3 + 6] != IPPROTO_TCP ||
		    t->l3 + 40 + be16_at(p + t->l3 + 4) != len)
			return -EINVAL;
		t->l4 = t->l3 + 40;
		t->ipv4 = false;
	} else {
		return -EINVAL;
	}
	if (have < t->l4 + 20)
		return -EINVAL;
	doff = (uint32_t)(p[t->l4 + 12] >> 4) * 4;
	t->hdr_len = t->l4 + doff;
	if (doff < 20 || t->hdr_len > have || t->hdr_len >= len) {
		*why = "a GSO frame whose TCP header or payload does not fit it";
		return -EINVAL;
	}
	return 0;
}

int nb_gso_segment(struct rte_mbuf *m, struct rte_mempool *pool,
		   struct rte_mbuf **out, unsigned max, const char **why)
{
	uint8_t hdr[HDR_MAX];
	uint32_t len = rte_pktmbuf_pkt_len(m), have = len < HDR_MAX ? len : HDR_MAX;
	uint32_t mss = m->tso_segsz, payload, seq, nseg;
	const uint8_t *p = rte_pktmbuf_read(m, 0, have, hdr);
	struct tcp_frame t;
	uint16_t ip_id;
	uint8_t flags;

	if (!p || parse(p, have, len, &t, why) ||
	    t.ipv4 != !!(m->ol_flags & RTE_MBUF_F_TX_IPV4))
		return -EINVAL;
	if (p != hdr)
		memcpy(hdr, p, t.hdr_len);
	payload = len - t.hdr_len;
	nseg = (payload + mss - 1) / mss;
	if (nseg > max) {
		*why = "a GSO frame of more segments than we cut (its GSO size too small)";
		return -EINVAL;
	}
	if (t.hdr_len + (mss < payload ? mss : payload) > NB_MAX_FRAME) {
		*why = "a GSO size beyond the largest frame";
		return -EINVAL;
	}
	seq = (uint32_t)be16_at(hdr + t.l4 + 4) << 16 | be16_at(hdr + t.l4 + 6);
	ip_id = t.ipv4 ? be16_at(hdr + t.l3 + 4) : 0;
	flags = hdr[t.l4 + 13];
	for (uint32_t i = 0; i < nseg; i++) {
		uint32_t part = payload - i * mss < mss ? payload - i * mss : mss;
		struct rte_mbuf *s = rte_pktmbuf_alloc(pool);
		uint8_t *d = s ? (uint8_t *)rte_pktmbuf_append(s, (uint16_t)(t.hdr_len + part))
			       : NULL;
		const void *data;
		uint16_t sum = 0;

		if (!d) {
			rte_pktmbuf_free(s);
			rte_pktmbuf_free_bulk(out, i);
			*why = "no mbuf to cut a GSO frame into";
			return -ENOMEM;
		}
		memcpy(d, hdr, t.hdr_len);
		data = rte_pktmbuf_read(m, t.hdr_len + i * mss, part, d + t.hdr_len);
		if (data != d + t.hdr_len)
			memcpy(d + t.hdr_len, data, part);
		if (t.ipv4) {
			put_be16(d + t.l3 + 2, (uint16_t)(t.hdr_len - t.l3 + part));
			put_be16(d + t.l3 + 4, (uint16_t)(ip_id + i));
			memset(d + t.l3 + 10, 0, 2);
			sum = rte_ipv4_cksum((const void *)(d + t.l3));
			memcpy(d + t.l3 + 10, &sum, 2);
		} else {
			put_be16(d + t.l3 + 4, (uint16_t)(t.hdr_len - t.l4 + part));
		}
		put_be32(d + t.l4 + 4, seq + i * mss);
		/* FIN and PSH end the whole send: the last segment's; CWR
		 * the first's. */
		d[t.l4 + 13] = (uint8_t)(flags & ~((i + 1 < nseg ? RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG : 0) |
						   (i ? RTE_TCP_CWR_FLAG : 0)));
		memset(d + t.l4 + 16, 0, 2);
		sum = t.ipv4 ? rte_ipv4_udptcp_cksum((const void *)(d + t.l3), d + t.l4)
			     : rte_ipv6_udptcp_cksum((const void *)(d + t.l3), d + t.l4);
		memcpy(d + t.l4 + 16, &sum, 2);
		out[i] = s;
	}
	return (int)nseg;
}
