/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "xs_env.h"

static void *run(void *arg)
{
	struct xs_env *e = arg;

	xsd_run(e->d);
	return NULL;
}

void xs_env_start(struct xs_env *e, const struct xsd_quota *quota)
{
	struct xsd_config cfg;

	memset(e, 0, sizeof(*e));
	xsd_config_defaults(&cfg);
	if (quota)
		cfg.quota = *quota;
	snprintf(e->dir, sizeof(e->dir), "/tmp/xs-test-XXXXXX");
	cr_assert_not_null(mkdtemp(e->dir));
	snprintf(e->sock, sizeof(e->sock), "%s/socket", e->dir);
	cr_assert_eq(sdrv_inproc_hv_create(&e->hv), 0);
	cr_assert_eq(sdrv_inproc_domain_create(e->hv, XS_DOMID, "xenstore", 64,
					       true),
		     0);
	cr_assert_eq(sdrv_inproc_attach(e->hv, XS_DOMID, &e->plat), 0);
	cfg.platform = e->plat;
	cr_assert_eq(xsd_new(&cfg, &e->d), 0);
	cr_assert_eq(xsd_listen(e->d, e->sock), 0);
	cr_assert_eq(pthread_create(&e->thread, NULL, run, e), 0);
}

void xs_env_stop(struct xs_env *e)
{
	xsd_stop(e->d);
	pthread_join(e->thread, NULL);
	xsd_free(e->d);
	sdrv_platform_detach(e->plat);
	sdrv_inproc_hv_destroy(e->hv);
	rmdir(e->dir);
}

struct sdrv_xs *xs_env_dom0(struct xs_env *e)
{
	struct sdrv_xs *xs;

	cr_assert_eq(sdrv_xs_open_socket(e->sock, &xs), 0);
	return xs;
}

void xs_guest_start(struct xs_env *e, struct xs_guest *g, sdrv_domid_t domid)
{
	struct sdrv_xs *dom0 = xs_env_dom0(e);
	struct sdrv_xs_perm own = { domid, SDRV_XS_PERM_NONE };
	char home[64];
	int port;

	g->domid = domid;
	cr_assert_eq(sdrv_inproc_domain_create(e->hv, domid, "guest", 256, false),
		     0);
	port = sdrv_inproc_domain_xenstore(e->hv, domid, XS_DOMID);
	cr_assert_gt(port, 0);
	g->port = (sdrv_evtchn_port_t)port;
	cr_assert_eq(sdrv_inproc_attach(e->hv, domid, &g->plat), 0);
	snprintf(home, sizeof(home), "/local/domain/%u", domid);
	cr_assert_eq(sdrv_xs_mkdir(dom0, 0, home), 0);
	cr_assert_eq(sdrv_xs_set_perms(dom0, 0, home, &own, 1), 0);
	cr_assert_eq(sdrv_xs_introduce(dom0, domid, SDRV_PLATFORM_XENSTORE_FRAME,
				       g->port),
		     0);
	sdrv_xs_close(dom0);
	cr_assert_eq(sdrv_xs_open_ring(g->plat, &g->xs), 0);
}

void xs_guest_stop(struct xs_env *e, struct xs_guest *g)
{
	struct sdrv_xs *dom0 = xs_env_dom0(e);

	sdrv_xs_close(g->xs);
	sdrv_xs_release(dom0, g->domid);
	sdrv_xs_close(dom0);
	sdrv_platform_detach(g->plat);
	sdrv_inproc_domain_destroy(e->hv, g->domid);
}

int xs_raw_connect(struct xs_env *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	strcpy(sa.sun_path, e->sock);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int xs_raw_request(int fd, uint32_t type, uint32_t tx, const void *payload,
		   size_t len, char *reply, size_t reply_len)
{
	struct sdrv_xs_msg h = { .type = type, .req_id = 77, .tx_id = tx,
				 .len = (uint32_t)len };
	char buf[SDRV_XS_PAYLOAD_MAX + 1];

	if (write(fd, &h, sizeof(h)) != sizeof(h) ||
	    (len && write(fd, payload, len) != (ssize_t)len))
		return -1;
	do {
		if (read_all(fd, &h, sizeof(h)) || h.len > SDRV_XS_PAYLOAD_MAX ||
		    read_all(fd, buf, h.len))
			return -1;
	} while (h.type == SDRV_XS_WATCH_EVENT);
	buf[h.len] = '\0';
	if (reply_len) {
		size_t n = h.len < reply_len - 1 ? h.len : reply_len - 1;

		memcpy(reply, buf, n);
		reply[n] = '\0';
	}
	return (int)h.type;
}

long long xs_env_stat(struct sdrv_xs *dom0, const char *name)
{
	const char *argv[1] = { "stats" };
	char out[SDRV_XS_PAYLOAD_MAX + 1];
	int n = sdrv_xs_control(dom0, argv, 1, out, sizeof(out) - 1);
	char *at;

	cr_assert_gt(n, 0);
	out[n] = '\0';
	at = strstr(out, name);
	cr_assert_not_null(at, "stat %s in %s", name, out);
	return atoll(at + strlen(name));
}

#if defined(__SANITIZE_ADDRESS__)
/* The sanitizer runtime's count (its header is not always installed). */
size_t __sanitizer_get_current_allocated_bytes(void);

long xs_env_heap_kib(void)
{
	return (long)(__sanitizer_get_current_allocated_bytes() / 1024);
}
#else
#include <malloc.h>

long xs_env_heap_kib(void)
{
	return (long)(mallinfo2().uordblks / 1024);
}
#endif
