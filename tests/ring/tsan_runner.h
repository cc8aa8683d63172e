/* SPDX-License-Identifier: MIT */
/*
 * tests/ring/tsan_runner.h - a minimal stand-in for criterion, used only to
 * run the concurrent tests under ThreadSanitizer: criterion cannot start
 * there (its inheritable arena collides with TSan's memory map, and with
 * ASLR off it crashes inside libcriterion).  Supports exactly what
 * test-concurrent.c uses: Test(suite, name, .timeout = s), cr_assert_eq,
 * cr_assert_not_null.  Each test runs in the main process (TSan sees both
 * threads); a timeout aborts the run.
 */
#ifndef TESTS_RING_TSAN_RUNNER_H
#define TESTS_RING_TSAN_RUNNER_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct tsan_case {
	const char *suite, *name;
	void (*fn)(void);
	unsigned timeout;
};

struct tsan_case_opts {
	int present; /* lets the initialiser start with a field of its own */
	unsigned timeout;
};

#define TSAN_MAX_CASES 32
extern struct tsan_case tsan_cases[TSAN_MAX_CASES];
extern int tsan_nr_cases;

#define Test(suite, name, ...)                                                 \
	static void suite##_##name(void);                                      \
	__attribute__((constructor)) static void suite##_##name##_reg(void)    \
	{                                                                      \
		struct tsan_case_opts o = { .present = 1, __VA_ARGS__ };                \
		if (tsan_nr_cases < TSAN_MAX_CASES)                            \
			tsan_cases[tsan_nr_cases++] = (struct tsan_case){      \
				#suite, #name, suite##_##name, o.timeout };    \
	}                                                                      \
	static void suite##_##name(void)

#define tsan_fail(...)                                                         \
	do {                                                                   \
		fprintf(stderr, "%s:%d: assertion failed: ", __FILE__,         \
			__LINE__);                                             \
		fprintf(stderr, "%s", #__VA_ARGS__);                           \
		fprintf(stderr, "\n");                                         \
		exit(1);                                                       \
	} while (0)
#define cr_assert_eq(a, b, ...)                                                \
	do {                                                                   \
		if ((a) != (b))                                                \
			tsan_fail(__VA_ARGS__);                                \
	} while (0)
#define cr_assert_not_null(p, ...)                                             \
	do {                                                                   \
		if (!(p))                                                      \
			tsan_fail(__VA_ARGS__);                                \
	} while (0)

#ifdef TSAN_RUNNER_MAIN
struct tsan_case tsan_cases[TSAN_MAX_CASES];
int tsan_nr_cases;

int main(void)
{
	printf("note: criterion cannot run under ThreadSanitizer on this "
	       "machine; these cases run under tests/ring/tsan_runner.h\n");
	for (int i = 0; i < tsan_nr_cases; i++) {
		printf("[RUN ] %s::%s\n", tsan_cases[i].suite,
		       tsan_cases[i].name);
		fflush(stdout);
		alarm(tsan_cases[i].timeout ? tsan_cases[i].timeout : 600);
		tsan_cases[i].fn(); /* a failure exits non-zero */
		alarm(0);
		printf("[PASS] %s::%s\n", tsan_cases[i].suite,
		       tsan_cases[i].name);
	}
	printf("tsan: %d passed, 0 failed\n", tsan_nr_cases);
	return tsan_nr_cases > 0 ? 0 : 1;
}
#endif

#endif
