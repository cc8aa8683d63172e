/* SPDX-License-Identifier: MIT */
/*
 * hv-stub/core/describe.c - the domain table in words, for hvctl list/show.
 */
#define _GNU_SOURCE
#include "hv.h"
#include "hv_internal.h"

#include <errno.h>
#include <stdio.h>

static const char *port_state(uint8_t s)
{
	switch (s) {
	case SDRV_EVTCHNSTAT_unbound:
		return "unbound";
	case SDRV_EVTCHNSTAT_interdomain:
		return "interdomain";
	default:
		return "closed";
	}
}

void hv_list_header(FILE *f)
{
	fprintf(f, "%-4s %-20s %8s %4s %6s %6s %10s %10s\n", "ID", "NAME",
		"MEM(KiB)", "PRIV", "MAPS", "PORTS", "EVENTS", "UPCALLS");
}

int hv_domain_list_row(struct hv *hv, sdrv_domid_t id, FILE *f)
{
	struct hv_domain *d;

	pthread_mutex_lock(&hv->lock);
	d = hv_live_domain(hv, id);
	if (d)
		fprintf(f, "%-4u %-20s %8u %4s %6u %6u %10llu %10llu", d->id,
			d->name, d->nr_frames * (SDRV_PAGE_SIZE / 1024),
			d->privileged ? "yes" : "no", d->nr_maps, d->nr_ports,
			(unsigned long long)d->events,
			(unsigned long long)d->upcalls);
	pthread_mutex_unlock(&hv->lock);
	return d ? 0 : -ENOENT;
}

int hv_domain_describe(struct hv *hv, sdrv_domid_t id, FILE *f)
{
	struct hv_domain *d;
	const struct sdrv_grant_entry_v1 *e;

	pthread_mutex_lock(&hv->lock);
	d = hv_live_domain(hv, id);
	if (!d) {
		pthread_mutex_unlock(&hv->lock);
		return -ENOENT;
	}
	fprintf(f, "domain %u (%s): %u frames, %s\n", d->id, d->name,
		d->nr_frames, d->privileged ? "privileged" : "unprivileged");
	fprintf(f, "grants offered (ref domid frame flags pins):\n");
	e = (const struct sdrv_grant_entry_v1 *)(const void *)d->mem;
	for (uint32_t ref = 0; ref < hv_nr_grant_entries(d); ref++) {
		/* the domain writes these: one atomic read of flags|domid */
		uint32_t word = __atomic_load_n((const uint32_t *)(const void *)&e[ref],
						__ATOMIC_ACQUIRE);
		uint16_t flags = (uint16_t)word;

		if ((flags & SDRV_GTF_type_mask) != SDRV_GTF_permit_access)
			continue;
		fprintf(f, "  %5u %5u %7u %s%s%s %u\n", ref, word >> 16,
			__atomic_load_n(&e[ref].frame, __ATOMIC_RELAXED),
			flags & SDRV_GTF_readonly ? "ro" : "rw",
			flags & SDRV_GTF_reading ? ",reading" : "",
			flags & SDRV_GTF_writing ? ",writing" : "",
			sdrv_gnt_pin_count(&(struct sdrv_gnt_granter){
						   .active = d->active,
						   .nr_entries = hv_nr_grant_entries(d) },
					   ref));
	}
	fprintf(f, "grants mapped (handle granter ref mode):\n");
	for (uint32_t h = 0; h < HV_MAPTRACK_MAX; h++)
		if (d->maptrack[h].in_use)
			fprintf(f, "  %5u %5u %5u %s\n", h, d->maptrack[h].granter,
				d->maptrack[h].ref,
				d->maptrack[h].readonly ? "ro" : "rw");
	fprintf(f, "event channels (port state remote pending masked), limit %u:\n",
		d->max_ports);
	for (uint32_t p = 1; p < SDRV_EVTCHN_2L_NR_PORTS; p++) {
		const struct hv_port *hp = &d->ports[p];

		if (hp->state == SDRV_EVTCHNSTAT_closed)
			continue;
		fprintf(f, "  %5u %-11s dom %u", p, port_state(hp->state),
			hp->remote_dom);
		if (hp->state == SDRV_EVTCHNSTAT_interdomain)
			fprintf(f, " port %u", hp->remote_port);
		fprintf(f, " %s %s\n",
			sdrv_evtchn_2l_is_pending(hv_shinfo(d), p) ? "yes" : "no",
			__atomic_load_n(&hv_shinfo(d)->evtchn_mask[p / 64],
					__ATOMIC_RELAXED) & (1ull << (p % 64))
				? "yes"
				: "no");
	}
	pthread_mutex_unlock(&hv->lock);
	return 0;
}
