/* SPDX-License-Identifier: MIT */
/*
 * tests/platform/env-hvstub.c - the process environment: a real hv-stub
 * daemon (the built binary, HV_STUB_PATH) on a private socket; the test
 * process attaches as each domain over that socket, as a driver would.
 */
#include "env.h"
#include "hvstub_ctl.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

const char *const env_name = "hv-stub process";

void env_start(void)
{
	hvstub_start(NULL);
}

void env_stop(void)
{
	hvstub_stop();
}

int env_create(sdrv_domid_t id, uint32_t frames, bool privileged)
{
	return hvstub_create(id, frames, privileged, 0, HVP_ON_CRASH_DEFAULT);
}

int env_attach(sdrv_domid_t id, struct sdrv_platform **out)
{
	return sdrv_hvstub_attach(hvstub_socket(), id, out);
}

void env_kill(sdrv_domid_t id, struct sdrv_platform **p)
{
	cr_assert_eq(hvstub_control(HVP_DESTROY, id), 0);
	sdrv_platform_detach(*p);
	*p = NULL;
}

long env_resources(void)
{
	return env_proc_resources(getpid()) + env_proc_resources(hvstub_pid());
}
