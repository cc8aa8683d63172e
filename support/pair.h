/* SPDX-License-Identifier: MIT */
/*
 * support/pair.h - run the two sides of a ring in two pinned threads or two
 * processes over shared memory.  Test and benchmark plumbing, not libsplitdrv.
 */
#ifndef SUPPORT_PAIR_H
#define SUPPORT_PAIR_H

#include <stdbool.h>
#include <stddef.h>

enum pair_mode {
	PAIR_THREADS, /* two threads of this process */
	PAIR_PROCESSES, /* this process and a forked child, memfd memory */
};

/* A side returns 0 on success, anything else is a failure to report. */
typedef int (*pair_side_fn)(void *arg);

/* Shared memory visible to both sides in either mode (memfd, MAP_SHARED),
 * zero-filled and page aligned.  NULL on failure (errno set). */
void *pair_shared_alloc(size_t bytes);
void pair_shared_free(void *mem, size_t bytes);

/*
 * Run @front in the calling thread pinned to CPU 0 and @back pinned to CPU 1
 * (if the machine has two), in the way @mode says.  @arg is passed to both;
 * in process mode each side has its own copy, so results must travel through
 * pair_shared_alloc() memory.  The caller's CPU affinity is restored.
 * Returns 0 when both sides returned 0, else the first non-zero status
 * (a child killed by a signal returns 128 + signal).
 */
int pair_run(enum pair_mode mode, pair_side_fn front, pair_side_fn back,
	     void *arg);

const char *pair_mode_name(enum pair_mode mode);

/* Pin the calling thread to @cpu modulo the CPUs available; false if it
 * could not. */
bool pair_pin_self(int cpu);

#endif
