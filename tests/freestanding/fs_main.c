/* SPDX-License-Identifier: MIT */
/*
 * A freestanding program (no libc, no crt, -nostdlib) that links libring and
 * runs it: both ends of a blkif ring and of the SPSC ring over static
 * memory, every element checked; and the event scanner over a shared-info
 * page the test marks the way the hypervisor would.  Exit status 0 means all went right; it is
 * what a guest kernel linking libsplitdrv would do.
 */
#include <splitdrv/blkif.h>
#include <splitdrv/evtchn.h>
#include <splitdrv/ring_spsc.h>

SDRV_RING_SPSC_DEFINE(u32q, uint32_t);

static _Alignas(4096) unsigned char ring_mem[2 * 4096];
static _Alignas(128) unsigned char spsc_mem[256 + 64 * 4];

static int ring_selftest(void)
{
	struct sdrv_ring_front f;
	struct sdrv_ring_back b;
	struct sdrv_blkif_request req, got;
	struct sdrv_blkif_response rsp;

	if (sdrv_ring_sring_init(ring_mem, sizeof(ring_mem)) ||
	    sdrv_blkif_front_attach(&f, ring_mem, sizeof(ring_mem), 0) ||
	    sdrv_blkif_back_attach(&b, ring_mem, sizeof(ring_mem), 0))
		return 1;
	for (uint64_t i = 0; i < 1000; i++) {
		/* field by field: the program has no memset either */
		req.operation = SDRV_BLKIF_OP_READ;
		req.nr_segments = 1;
		req.handle = 0;
		req.id = i;
		req.sector_number = i * 8;
		req.seg[0].gref = (uint32_t)i;
		req.seg[0].first_sect = 0;
		req.seg[0].last_sect = 7;
		if (sdrv_blkif_front_put_requests(&f, &req, 1) != 1)
			return 2;
		sdrv_ring_front_push(&f);
		if (sdrv_blkif_back_take_requests(&b, &got, 1) != 1 ||
		    got.id != i || got.seg[0].gref != (uint32_t)i)
			return 3;
		rsp.id = got.id;
		rsp.operation = got.operation;
		rsp.status = SDRV_BLKIF_RSP_OKAY;
		if (sdrv_blkif_back_put_responses(&b, &rsp, 1) != 1)
			return 4;
		sdrv_ring_back_push(&b);
		/* the generic, runtime-sized path too */
		if (sdrv_ring_front_take_responses(&f, &rsp, 1) != 1 ||
		    rsp.id != i)
			return 5;
	}
	return 0;
}

static int spsc_selftest(void)
{
	struct sdrv_ring_spsc_shared *shared = (void *)spsc_mem;
	struct sdrv_ring_spsc_prod p;
	struct sdrv_ring_spsc_cons c;
	uint32_t in[10], out[10], next = 0;

	if (sdrv_ring_spsc_memsize(64, 4) > sizeof(spsc_mem) ||
	    sdrv_ring_spsc_init(shared, 64, 4) ||
	    sdrv_ring_spsc_prod_attach(&p, shared, 64, 4) ||
	    sdrv_ring_spsc_cons_attach(&c, shared, 64, 4))
		return 10;
	for (uint32_t round = 0; round < 500; round++) {
		for (uint32_t i = 0; i < 10; i++)
			in[i] = round * 10 + i;
		if (u32q_enqueue_burst(&p, in, 10) != 10 ||
		    sdrv_ring_spsc_dequeue_burst(&c, out, 10) != 10)
			return 11;
		for (uint32_t i = 0; i < 10; i++)
			if (out[i] != next++)
				return 12;
	}
	return 0;
}

static struct sdrv_shared_info shinfo;

/* Mark @port pending as the hypervisor does (no mask check: the test's). */
static void raise_port(sdrv_evtchn_port_t port)
{
	shinfo.evtchn_pending[port / 64] |= 1ull << (port % 64);
	shinfo.vcpu_info[0].evtchn_pending_sel |= 1ull << (port / 64);
	shinfo.vcpu_info[0].evtchn_upcall_pending = 1;
}

static int evtchn_selftest(void)
{
	struct sdrv_evtchn_scanner sc;
	sdrv_evtchn_port_t got[4];

	sdrv_evtchn_scanner_init(&sc, &shinfo);
	sdrv_evtchn_2l_mask(&shinfo, 7);
	raise_port(5);
	raise_port(7);
	raise_port(4000);
	if (sdrv_evtchn_scan(&sc, got, 4) != 2 || got[0] != 5 || got[1] != 4000)
		return 20;
	if (sdrv_evtchn_scan(&sc, got, 4) != 0 || !sdrv_evtchn_2l_is_pending(&shinfo, 7))
		return 21;
	/* Unmasking a pending port re-raises the upcall. */
	if (!sdrv_evtchn_2l_unmask(&shinfo, 7) || sdrv_evtchn_scan(&sc, got, 4) != 1 ||
	    got[0] != 7)
		return 22;
	return 0;
}

static __attribute__((noreturn)) void sys_exit(long status)
{
#if defined(__x86_64__)
	__asm__ volatile("syscall" ::"a"(60L), "D"(status) : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register long x0 __asm__("x0") = status;
	register long x8 __asm__("x8") = 93;
	__asm__ volatile("svc 0" ::"r"(x0), "r"(x8) : "memory");
#endif
	for (;;)
		;
}

void _start(void);
void _start(void)
{
	int status = ring_selftest();

	if (status == 0)
		status = spsc_selftest();
	if (status == 0)
		status = evtchn_selftest();
	sys_exit(status);
}
