/* SPDX-License-Identifier: MIT */
/* tools/cli/cli.c - the programs' shared command-line conventions (cli.h). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

#include <splitdrv/version.h>

#include "cli.h"

static const char *program = "splitdrv";

void cli_init(const char *name)
{
	const char *slash = strrchr(name, '/');

	program = slash ? slash + 1 : name;
}

const char *cli_program(void)
{
	return program;
}

void cli_print_version(void)
{
	printf("%s (splitdrv) %s\n", program, SDRV_VERSION_STRING);
}

void cli_standard_options(int argc, char **argv, void (*usage)(FILE *out))
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			exit(0);
		}
		if (!strcmp(argv[i], "--version")) {
			cli_print_version();
			exit(0);
		}
	}
}

static void vreport(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", program);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
}

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see %s --help)\n", program);
	exit(CLI_EXIT_USAGE);
}

void cli_getopt_error(int opt, char **argv)
{
	const char *word = argv[optind - 1];

	if (opt == ':')
		cli_usage_error("option '%s' needs a value", word);
	if (optopt && word[0] == '-' && word[1] != '-')
		cli_usage_error("unknown option '-%c'", optopt);
	cli_usage_error("unknown option '%s'", word);
}

void cli_getopt_other(int opt, char **argv, void (*usage)(FILE *out))
{
	if (opt == 'h') {
		usage(stdout);
		exit(0);
	}
	if (opt == 'V') {
		cli_print_version();
		exit(0);
	}
	cli_getopt_error(opt, argv);
}

void cli_no_operands(int argc, char **argv, int optind_now)
{
	if (optind_now < argc)
		cli_usage_error("unexpected word '%s': %s takes options only",
				argv[optind_now], program);
}

void cli_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	exit(CLI_EXIT_FAILURE);
}

/* Parse a whole unsigned number; false if @text is not one. */
static bool parse_u64(const char *text, uint64_t *out, char **end)
{
	unsigned long long v;

	if (!*text || *text == '-' || *text == '+' || *text == ' ')
		return false;
	errno = 0;
	v = strtoull(text, end, 0);
	if (errno || *end == text)
		return false;
	*out = v;
	return true;
}

uint64_t cli_number(const char *what, const char *text, uint64_t min,
		    uint64_t max)
{
	uint64_t v;
	char *end;

	if (!parse_u64(text, &v, &end) || *end)
		cli_usage_error("%s '%s': not a whole number (%llu to %llu)",
				what, text, (unsigned long long)min,
				(unsigned long long)max);
	if (v > max)
		cli_usage_error("%s %s: more than the limit of %llu", what,
				text, (unsigned long long)max);
	if (v < min)
		cli_usage_error("%s %s: less than the minimum of %llu", what,
				text, (unsigned long long)min);
	return v;
}

const char *cli_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB",
					     "TiB" };
	unsigned u = 0;

	while (u < 4 && bytes >= 1024 && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)bytes, units[u]);
	return buf;
}

uint64_t cli_size(const char *what, const char *text, uint64_t min,
		  uint64_t max, uint64_t multiple)
{
	char lo[32], hi[32], unit[32];
	unsigned shift = 0;
	uint64_t v;
	char *end;

	cli_format_size(min, lo, sizeof(lo));
	cli_format_size(max, hi, sizeof(hi));
	if (!parse_u64(text, &v, &end))
		cli_usage_error("%s '%s': not a size such as 16M (%s to %s)",
				what, text, lo, hi);
	switch (*end) {
	case 'G': case 'g': shift = 30; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'K': case 'k': shift = 10; end++; break;
	default: break;
	}
	if (*end)
		cli_usage_error("%s '%s': unknown unit '%s' (use K, M or G)",
				what, text, end);
	if (v > (max >> shift))
		cli_usage_error("%s %s: more than the %s limit", what, text, hi);
	v <<= shift;
	if (v < min)
		cli_usage_error("%s %s: less than the %s minimum", what, text,
				lo);
	if (multiple > 1 && v % multiple)
		cli_usage_error("%s %s: not a whole number of %s", what, text,
				cli_format_size(multiple, unit, sizeof(unit)));
	return v;
}

void cli_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}
