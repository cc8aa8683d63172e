/* SPDX-License-Identifier: MIT */
/*
 * XenStore as Xen's own C daemon answers it, where the protocol text is
 * silent: path lengths, which watches a removal fires, a READ whose path
 * lacks its NUL.  Each rule was read off Xen's C xenstored (Debian's
 * xen-utils-4.17, started by tools/peers/xen-xenstored.sh) and is checked
 * here against sdrv-xenstored's core.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "xs_env.h"

static struct xs_env env;
static struct sdrv_xs *dom0;

static void setup(void)
{
	xs_env_start(&env, NULL);
	dom0 = xs_env_dom0(&env);
}

static void teardown(void)
{
	sdrv_xs_close(dom0);
	xs_env_stop(&env);
}

TestSuite(xs_conformance, .init = setup, .fini = teardown, .timeout = 60);

/* @prefix followed by components of 'p' (99 bytes, then '/') up to @len
 * bytes in all, into @buf. */
static void long_path(char *buf, const char *prefix, size_t len)
{
	size_t at = strlen(prefix);

	memcpy(buf, prefix, at);
	for (size_t run = 0; at < len; at++, run++)
		buf[at] = run % 100 == 99 && at + 1 < len ? '/' : 'p';
	buf[len] = '\0';
}

Test(xs_conformance, paths_are_limited_as_xens_daemon_limits_them)
{
	static char path[SDRV_XS_ABS_PATH_MAX + 16];

	/* Elsewhere than a domain's home: 2048 bytes in all. */
	long_path(path, "/tool/", 2048);
	cr_assert_eq(sdrv_xs_write_str(dom0, 0, path, "v"), 0);
	long_path(path, "/tool/", 2049);
	cr_assert_eq(sdrv_xs_write_str(dom0, 0, path, "v"), -EINVAL);
	long_path(path, "/tool/", 2100); /* the case */
	cr_assert_eq(sdrv_xs_write_str(dom0, 0, path, "v"), -EINVAL);
	cr_assert_eq(sdrv_xs_read(dom0, 0, path, path, 8), -EINVAL);
	/* Below /local/domain/<id>/: 2048 bytes past that. */
	long_path(path, "/local/domain/5/", 16 + 2048);
	cr_assert_eq(sdrv_xs_write_str(dom0, 0, path, "v"), 0);
	long_path(path, "/local/domain/5/", 16 + 2049);
	cr_assert_eq(sdrv_xs_write_str(dom0, 0, path, "v"), -EINVAL);
	/* And never over the wire's 3072. */
	long_path(path, "/local/domain/5/", SDRV_XS_ABS_PATH_MAX + 1);
	cr_assert_eq(sdrv_xs_write_str(dom0, 0, path, "v"), -EINVAL);
}

/* Events that arrive for @xs within 300 ms: "token=path" lines. */
static void collect(struct sdrv_xs *xs, char *out, size_t cap)
{
	struct sdrv_xs_event ev;

	out[0] = '\0';
	while (sdrv_xs_next_event(xs, &ev, 300) == 1) {
		size_t at = strlen(out);

		snprintf(out + at, cap - at, "%s=%s\n", ev.token, ev.path);
	}
}

Test(xs_conformance, rm_fires_removed_nodes_and_ancestors_only)
{
	static const char *const watched[][2] = {
		{ "/t", "top" },	 { "/t/a", "a" },
		{ "/t/a/b", "b" },	 { "/t/a/b/c", "c" },
		{ "/t/a/b/x", "never" }, { "/t/other", "other" },
	};
	char got[2048];

	cr_assert_eq(sdrv_xs_write_str(dom0, 0, "/t/a/b/c", "v"), 0);
	cr_assert_eq(sdrv_xs_write_str(dom0, 0, "/t/other", "o"), 0);
	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
		cr_assert_eq(sdrv_xs_watch(dom0, watched[i][0], watched[i][1],
					   NULL, NULL),
			     0);
	collect(dom0, got, sizeof(got)); /* each watch's first event */
	cr_assert_eq(sdrv_xs_rm(dom0, 0, "/t/a"), 0);
	collect(dom0, got, sizeof(got));
	/* Xen's C daemon: each watch on the removed node or above it fires
	 * once with the removed path; each below it on a node that existed
	 * fires with its own path; none for /t/a/b/x (never there) or for
	 * the sibling. */
	cr_assert(strstr(got, "top=/t/a\n"), "%s", got);
	cr_assert(strstr(got, "a=/t/a\n"), "%s", got);
	cr_assert(strstr(got, "b=/t/a/b\n"), "%s", got);
	cr_assert(strstr(got, "c=/t/a/b/c\n"), "%s", got);
	cr_assert_null(strstr(got, "never="), "%s", got);
	cr_assert_null(strstr(got, "other="), "%s", got);
	cr_assert_null(strstr(got, "top=/t/a/b"), "one event per watch: %s",
		       got);
}

Test(xs_conformance, rm_in_a_transaction_fires_the_same_at_commit)
{
	uint32_t tx;
	char got[1024];

	cr_assert_eq(sdrv_xs_write_str(dom0, 0, "/u/a/b", "v"), 0);
	cr_assert_eq(sdrv_xs_watch(dom0, "/u/a/b", "b", NULL, NULL), 0);
	cr_assert_eq(sdrv_xs_watch(dom0, "/u/a/x", "never", NULL, NULL), 0);
	collect(dom0, got, sizeof(got));
	cr_assert_eq(sdrv_xs_transaction_start(dom0, &tx), 0);
	cr_assert_eq(sdrv_xs_rm(dom0, tx, "/u/a"), 0);
	cr_assert_eq(sdrv_xs_transaction_end(dom0, tx, false), 0);
	collect(dom0, got, sizeof(got));
	cr_assert(strstr(got, "b=/u/a/b\n"), "%s", got);
	cr_assert_null(strstr(got, "never="), "%s", got);
}

Test(xs_conformance, read_of_a_path_without_its_nul_is_enoent)
{
	int fd = xs_raw_connect(&env);
	char reply[64];

	cr_assert_eq(sdrv_xs_write_str(dom0, 0, "/here", "v"), 0);
	/* "/here" exists, but the request names "/here" plus whatever
	 * follows: no node */
	cr_assert_eq(xs_raw_request(fd, SDRV_XS_READ, 0, "/here", 5, reply,
				    sizeof(reply)),
		     SDRV_XS_ERROR);
	cr_assert_str_eq(reply, "ENOENT");
	/* the connection goes on */
	cr_assert_eq(xs_raw_request(fd, SDRV_XS_READ, 0, "/here", 6, reply,
				    sizeof(reply)),
		     SDRV_XS_READ);
	cr_assert_str_eq(reply, "v");
	close(fd);
}
