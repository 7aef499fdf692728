// SPDX-License-Identifier: GPL-2.0-only
/*
 * Userspace works on copies: a lookup copies the value out, an update
 * copies a whole value in. A test compiles this file (cc overview_copy.c
 * -lbpf) and runs it as root; the regions between the mapspec:example
 * markers are shown on Documentation/bpf/ebpf_maps.rst.
 */
/* The checks are assert()s: never compiled out. */
#undef NDEBUG
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static int read_modify_write(int map_fd)
{
	// mapspec:example:begin copy-update
	__u32 key = 1;
	__u64 value;
	int err;

	err = bpf_map_lookup_elem(map_fd, &key, &value);
	if (err)
		return err; /* -ENOENT: no element for key */
	value += 1; /* changes the copy, not the map */
	/* Write the whole value back. Another writer may have changed the
	 * element since the lookup: its change is overwritten. */
	return bpf_map_update_elem(map_fd, &key, &value, BPF_EXIST);
	// mapspec:example:end copy-update
}

static int percpu_sum(int map_fd)
{
	// mapspec:example:begin percpu-copy
	int ncpu = libbpf_num_possible_cpus();
	__u64 *values, sum = 0;
	__u32 key = 0;

	/* One value per possible CPU, each rounded up to 8 bytes. */
	values = calloc(ncpu, sizeof(__u64));
	if (!values)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &key, values) == 0) {
		for (int cpu = 0; cpu < ncpu; cpu++)
			sum += values[cpu];
	}
	free(values);
	// mapspec:example:end percpu-copy
	assert(ncpu > 0 && sum == 5 * (__u64)ncpu);
	return 0;
}

int main(void)
{
	__u32 key = 1, zero = 0;
	__u64 ten = 10, *five;
	int fd, ncpu;

	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "copy", sizeof(key),
			    sizeof(ten), 4, NULL);
	assert(fd >= 0);
	assert(bpf_map_update_elem(fd, &key, &ten, BPF_NOEXIST) == 0);
	assert(read_modify_write(fd) == 0);
	assert(bpf_map_lookup_elem(fd, &key, &ten) == 0 && ten == 11);
	close(fd);

	ncpu = libbpf_num_possible_cpus();
	assert(ncpu > 0);
	five = calloc(ncpu, sizeof(__u64));
	assert(five != NULL);
	for (int cpu = 0; cpu < ncpu; cpu++)
		five[cpu] = 5;
	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "percpu", sizeof(zero),
			    sizeof(__u64), 1, NULL);
	assert(fd >= 0);
	assert(bpf_map_update_elem(fd, &zero, five, BPF_ANY) == 0);
	free(five);
	assert(percpu_sum(fd) == 0);
	close(fd);
	return 0;
}
