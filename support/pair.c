/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "pair.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

void *pair_shared_alloc(size_t bytes)
{
	int fd = memfd_create("splitdrv-pair", MFD_CLOEXEC);
	void *mem;

	if (fd < 0)
		return NULL;
	if (ftruncate(fd, (off_t)bytes) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return NULL;
	}
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd); /* the mapping keeps the memory */
	return mem == MAP_FAILED ? NULL : mem;
}

void pair_shared_free(void *mem, size_t bytes)
{
	if (mem)
		munmap(mem, bytes);
}

bool pair_pin_self(int cpu)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if (ncpu < 2)
		return false;
	CPU_ZERO(&set);
	CPU_SET(cpu % ncpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) == 0;
}

struct thread_side {
	pair_side_fn fn;
	void *arg;
	int status;
};

static void *thread_main(void *p)
{
	struct thread_side *side = p;

	pair_pin_self(1);
	side->status = side->fn(side->arg);
	return NULL;
}

static int run_threads(pair_side_fn front, pair_side_fn back, void *arg)
{
	struct thread_side side = { .fn = back, .arg = arg };
	pthread_t thread;
	int front_status, err;

	err = pthread_create(&thread, NULL, thread_main, &side);
	if (err)
		return err;
	pair_pin_self(0);
	front_status = front(arg);
	pthread_join(thread, NULL);
	return front_status ? front_status : side.status;
}

static int run_processes(pair_side_fn front, pair_side_fn back, void *arg)
{
	int front_status, wstatus;
	pid_t child;

	child = fork();
	if (child < 0)
		return errno;
	if (child == 0) {
		pair_pin_self(1);
		_exit(back(arg) & 0x7f);
	}
	pair_pin_self(0);
	front_status = front(arg);
	if (waitpid(child, &wstatus, 0) < 0)
		return errno;
	if (front_status)
		return front_status;
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return WEXITSTATUS(wstatus);
}

int pair_run(enum pair_mode mode, pair_side_fn front, pair_side_fn back,
	     void *arg)
{
	cpu_set_t saved;
	bool restore = sched_getaffinity(0, sizeof(saved), &saved) == 0;
	int status;

	status = mode == PAIR_THREADS ? run_threads(front, back, arg)
				      : run_processes(front, back, arg);
	if (restore)
		sched_setaffinity(0, sizeof(saved), &saved);
	return status;
}

const char *pair_mode_name(enum pair_mode mode)
{
	return mode == PAIR_THREADS ? "threads" : "processes";
}
