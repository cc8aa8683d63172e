/* SPDX-License-Identifier: MIT */
/*
 * ring-exchange: a blkif ring between two threads of one process, the
 * smallest use of libsplitdrv's ring.  The front posts read requests, the
 * back answers each one; both sides copy every slot out of shared memory
 * once and check the peer's indices.  Nothing here needs a hypervisor: the
 * "shared page" is ordinary memory both threads see.
 *
 *   ring-exchange [REQUESTS]      (default 100000)
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include <splitdrv/blkif.h>
#include <splitdrv/version.h>

#define RING_BYTES 4096

static _Alignas(4096) unsigned char shared_page[RING_BYTES];
static unsigned long total = 100000;

static void *backend(void *arg)
{
	struct sdrv_ring_back back;
	struct sdrv_blkif_request req[32];
	struct sdrv_blkif_response rsp[32];
	unsigned long answered = 0;

	(void)arg;
	if (sdrv_blkif_back_attach(&back, shared_page, RING_BYTES, 0) != 0)
		return "back: attach failed";
	while (answered < total) {
		uint32_t n = sdrv_blkif_back_take_requests(&back, req, 32);

		if (sdrv_ring_back_fault(&back))
			return "back: the front lied about its index";
		for (uint32_t i = 0; i < n; i++)
			rsp[i] = (struct sdrv_blkif_response){
				.id = req[i].id,
				.operation = req[i].operation,
				.status = SDRV_BLKIF_RSP_OKAY,
			};
		sdrv_blkif_back_put_responses(&back, rsp, n);
		sdrv_ring_back_push(&back); /* would notify the front */
		answered += n;
		if (n == 0)
			sched_yield();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sdrv_ring_front front;
	struct sdrv_blkif_request req[32];
	struct sdrv_blkif_response rsp[32];
	unsigned long sent = 0, done = 0, id_sum = 0;
	pthread_t back_thread;
	void *back_error;

	if (argc > 1)
		total = strtoul(argv[1], NULL, 10);
	printf("libsplitdrv %s (headers %s)\n", sdrv_version(),
	       SDRV_VERSION_STRING);
	if (sdrv_ring_sring_init(shared_page, RING_BYTES) != 0 ||
	    sdrv_blkif_front_attach(&front, shared_page, RING_BYTES, 0) != 0) {
		fprintf(stderr, "ring-exchange: cannot set up the ring\n");
		return 1;
	}
	pthread_create(&back_thread, NULL, backend, NULL);
	while (done < total) {
		uint32_t want = sdrv_ring_front_free(&front), n;

		if (want > 32)
			want = 32;
		if (want > total - sent)
			want = (uint32_t)(total - sent);
		for (uint32_t i = 0; i < want; i++)
			req[i] = (struct sdrv_blkif_request){
				.operation = SDRV_BLKIF_OP_READ,
				.id = sent + i,
				.sector_number = (sent + i) * 8,
			};
		sent += sdrv_blkif_front_put_requests(&front, req, want);
		sdrv_ring_front_push(&front); /* would notify the back */
		n = sdrv_blkif_front_take_responses(&front, rsp, 32);
		if (sdrv_ring_front_fault(&front)) {
			fprintf(stderr, "ring-exchange: the back lied\n");
			return 1;
		}
		for (uint32_t i = 0; i < n; i++) {
			if (rsp[i].status != SDRV_BLKIF_RSP_OKAY) {
				fprintf(stderr, "request %llu failed\n",
					(unsigned long long)rsp[i].id);
				return 1;
			}
			id_sum += rsp[i].id;
		}
		done += n;
		if (n == 0)
			sched_yield();
	}
	pthread_join(back_thread, &back_error);
	if (back_error) {
		fprintf(stderr, "ring-exchange: %s\n", (const char *)back_error);
		return 1;
	}
	if (total && id_sum != total * (total - 1) / 2) {
		fprintf(stderr, "ring-exchange: responses do not match\n");
		return 1;
	}
	printf("%lu requests answered over a %u-slot blkif ring\n", done,
	       sdrv_ring_front_nr_slots(&front));
	return 0;
}
