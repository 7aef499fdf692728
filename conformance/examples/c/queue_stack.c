// SPDX-License-Identifier: GPL-2.0-only
/*
 * Draining a BPF_MAP_TYPE_QUEUE or BPF_MAP_TYPE_STACK from userspace, with
 * libbpf. A test compiles this file (cc queue_stack.c -lbpf) and runs it as
 * root on both types; the region between the mapspec:example markers is
 * shown on the page, and main() around it is the test.
 */
/* The checks are assert()s: never compiled out. */
#undef NDEBUG
#include <assert.h>
#include <errno.h>
#include <unistd.h>
#include <bpf/bpf.h>

// mapspec:example:begin drain
/* Pops every value into *sum; these maps take a NULL key. */
static int drain(int fd, __u64 *sum)
{
	__u64 value;
	int err;

	while (!(err = bpf_map_lookup_and_delete_elem(fd, NULL, &value)))
		*sum += value;
	return err == -ENOENT ? 0 : err;
}
// mapspec:example:end drain

/* Pushes 1..4 into a map of `type`, peeks at `top`, drains it and checks
 * that it is empty. */
static void check_drain(enum bpf_map_type type, __u64 top)
{
	__u64 value, sum = 0;
	int fd;

	fd = bpf_map_create(type, "drain", 0, sizeof(value), 4, NULL);
	assert(fd >= 0);
	for (value = 1; value <= 4; value++)
		assert(bpf_map_update_elem(fd, NULL, &value, BPF_ANY) == 0);
	assert(bpf_map_lookup_elem(fd, NULL, &value) == 0 && value == top);
	assert(drain(fd, &sum) == 0 && sum == 10);
	assert(bpf_map_lookup_elem(fd, NULL, &value) == -ENOENT);
	/* Draining an empty map is no error. */
	assert(drain(fd, &sum) == 0 && sum == 10);
	close(fd);
}

int main(void)
{
	/* First in, first out; last in, first out. */
	check_drain(BPF_MAP_TYPE_QUEUE, 1);
	check_drain(BPF_MAP_TYPE_STACK, 4);
	return 0;
}
