/* SPDX-License-Identifier: MIT */
/* tests/platform/env-inproc.c - the in-process environment: hv-stub's core in
 * the test process, domains are handles (and threads where a test wants). */
#include "env.h"
#include "inproc.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <unistd.h>

const char *const env_name = "in-process";
static struct sdrv_inproc_hv *hv;

void env_start(void)
{
	cr_assert_eq(sdrv_inproc_hv_create(&hv), 0);
	cr_assert_eq(sdrv_inproc_domain_create(hv, 0, "Domain-0", 256, true), 0);
}

void env_stop(void)
{
	sdrv_inproc_hv_destroy(hv);
	hv = NULL;
}

int env_create(sdrv_domid_t id, uint32_t frames, bool privileged)
{
	char name[16];

	snprintf(name, sizeof(name), "dom%u", id);
	return sdrv_inproc_domain_create(hv, id, name, frames, privileged);
}

int env_attach(sdrv_domid_t id, struct sdrv_platform **out)
{
	return sdrv_inproc_attach(hv, id, out);
}

void env_kill(sdrv_domid_t id, struct sdrv_platform **p)
{
	cr_assert_eq(sdrv_inproc_domain_destroy(hv, id), 0);
	sdrv_platform_detach(*p);
	*p = NULL;
}

long env_resources(void)
{
	return env_proc_resources(getpid());
}
