// SPDX-License-Identifier: GPL-2.0-only
/*
 * Userspace side of BPF_MAP_TYPE_QUEUE with libbpf: no keys; update pushes,
 * lookup peeks, lookup_and_delete pops. Compiled and run by a test.
 */
/* The checks are assert()s: never compiled out. */
#undef NDEBUG
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>

int main(void)
{
	// mapspec:example:begin queue-userspace
	__u64 value, out;
	int fd, err;

	/* key_size must be 0. */
	fd = bpf_map_create(BPF_MAP_TYPE_QUEUE, "example", 0, sizeof(value), 4,
			    NULL);
	assert(fd >= 0);

	/* Push with a NULL key. */
	for (value = 1; value <= 4; value++) {
		err = bpf_map_update_elem(fd, NULL, &value, BPF_ANY);
		assert(err == 0);
	}
	/* Full: -E2BIG, unless BPF_EXIST drops the oldest value. */
	err = bpf_map_update_elem(fd, NULL, &value, BPF_ANY);
	assert(err == -E2BIG);

	/* Pop until the map is empty. */
	while (bpf_map_lookup_and_delete_elem(fd, NULL, &out) == 0)
		;
	value = 1;
	err = bpf_map_update_elem(fd, NULL, &value, BPF_ANY);
	assert(err == 0);
	value = 2;
	err = bpf_map_update_elem(fd, NULL, &value, BPF_ANY);
	assert(err == 0);
	/* Peek, then pop (first in, first out). */
	err = bpf_map_lookup_elem(fd, NULL, &out);
	assert(err == 0 && out == 1);
	err = bpf_map_lookup_and_delete_elem(fd, NULL, &out);
	assert(err == 0 && out == 1);
	err = bpf_map_lookup_and_delete_elem(fd, NULL, &out);
	assert(err == 0 && out == 2);
	err = bpf_map_lookup_and_delete_elem(fd, NULL, &out);
	assert(err == -ENOENT);
	close(fd);
	// mapspec:example:end queue-userspace
	return 0;
}
