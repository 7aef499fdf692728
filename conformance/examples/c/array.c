// SPDX-License-Identifier: GPL-2.0-only
/*
 * Userspace side of BPF_MAP_TYPE_ARRAY with libbpf: every index exists
 * from creation on, zeroed. Compiled and run by a test.
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
	// mapspec:example:begin array-userspace
	__u32 index = 1;
	__u64 value = 0;
	int fd, err;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "example", sizeof(index),
			    sizeof(value), 4, NULL);
	assert(fd >= 0);

	/* An index never written reads as zero. */
	err = bpf_map_lookup_elem(fd, &index, &value);
	assert(err == 0 && value == 0);

	/* Every index exists: BPF_NOEXIST always fails with EEXIST. */
	value = 7;
	err = bpf_map_update_elem(fd, &index, &value, BPF_NOEXIST);
	assert(err == -EEXIST);
	err = bpf_map_update_elem(fd, &index, &value, BPF_ANY);
	assert(err == 0);

	/* Indexes at or above max_entries do not exist... */
	index = 4;
	err = bpf_map_update_elem(fd, &index, &value, BPF_ANY);
	assert(err == -E2BIG);
	/* ...and no index can be deleted. */
	index = 1;
	err = bpf_map_delete_elem(fd, &index);
	assert(err == -EINVAL);
	close(fd);
	// mapspec:example:end array-userspace
	return 0;
}
