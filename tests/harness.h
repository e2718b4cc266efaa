/* harness.h - helpers for integration tests (filled in with the daemon). */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H
int harness_count_fds(int pid);
#endif
