/* SPDX-License-Identifier: MIT */
/*
 * tests/platform/hvstub_ctl.h - run the built hv-stub daemon for a test and
 * speak its control protocol directly (what hvctl does), so tests can also
 * send it what hvctl never would.
 */
#ifndef TESTS_PLATFORM_HVSTUB_CTL_H
#define TESTS_PLATFORM_HVSTUB_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto.h"

/* Start hv-stub on a socket in a fresh directory, with @extra_args (a
 * NULL-terminated list, or NULL) added to its command line. */
void hvstub_start(const char *const *extra_args);
/* Start it and return at once (for a start that is meant to fail). */
void hvstub_spawn(const char *const *extra_args);
void hvstub_stop(void);
/* Wait up to 10 s for hv-stub to exit by itself; its wait status, or -1
 * if it still runs (then killed).  The directory is left for its log
 * (hvstub_stop() afterwards removes it). */
int hvstub_wait_exit(void);
const char *hvstub_socket(void);
/* Its directory, where hv-stub.log is (removed by hvstub_stop()). */
const char *hvstub_dir(void);
pid_t hvstub_pid(void);
/* Whether the daemon process is still running. */
bool hvstub_alive(void);
/* A fresh connection to the control socket (blocking), or -errno. */
int hvstub_connect(void);
/* HVP_CREATE; owner uid 0 when @owner is 0.  Return: the reply status. */
int hvstub_create(uint32_t domid, uint32_t frames, bool privileged,
		  uint32_t owner, uint32_t on_crash);
/* HVP_DESTROY / HVP_SHOW of @domid.  Return: the reply status. */
int hvstub_control(uint16_t type, uint32_t domid);
/* HVP_LIST text into @buf (NUL-terminated).  Return: the reply status. */
int hvstub_list(char *buf, size_t cap);

/*
 * hv-stub running @xenstored (a sdrv-xenstored binary) as its XenStore,
 * dom0 of @dom0_mem ("16M"), the XenStore socket in a fresh directory of
 * its own; connected as dom0 once the daemon listens (5 s at most).
 * Return: that connection (the caller's to close).
 */
struct sdrv_xs;
struct sdrv_xs *hvstub_start_with_xenstore(const char *xenstored,
					   const char *dom0_mem);
/* The XenStore socket of that hv-stub. */
const char *hvstub_xenstore_socket(void);
/* Stop it and remove the XenStore socket's directory. */
void hvstub_stop_with_xenstore(void);

/* The hostile-backend tests' world: hv-stub with XenStore (dom0 8 MiB),
 * guest domain 1 of @guest_frames created, dom0 and the guest both
 * attached in this process, the guest's XenStore ring open.  Asserts. */
struct hvstub_pair {
	struct sdrv_platform *dom0, *guest;
	struct sdrv_xs *dom0_xs, *guest_xs;
};
void hvstub_pair_up(struct hvstub_pair *w, const char *xenstored,
		    unsigned guest_frames);
/* Every connection closed and detached, then hv-stub stopped. */
void hvstub_pair_down(struct hvstub_pair *w);

#endif
