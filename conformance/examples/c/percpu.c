// SPDX-License-Identifier: GPL-2.0-only
/*
 * Summing the per-CPU slots of an element from userspace, with libbpf. A
 * test compiles this file (cc percpu.c -lbpf) and runs it as root, on
 * BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH and
 * BPF_MAP_TYPE_PERCPU_ARRAY; the region between the mapspec:example
 * markers is shown on the pages, and main() around it is the test.
 */
/* The checks are assert()s: never compiled out. */
#undef NDEBUG
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

// mapspec:example:begin percpu-sum
/* Adds up the slots of the element for key, whose value is a __u64. */
static int percpu_sum(int fd, const void *key, __u64 *sum)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 *values;
	int err;

	if (ncpus < 0)
		return ncpus;
	/* One slot per possible CPU, not per online CPU. */
	values = calloc(ncpus, sizeof(*values));
	if (!values)
		return -ENOMEM;
	err = bpf_map_lookup_elem(fd, key, values);
	*sum = 0;
	for (int cpu = 0; !err && cpu < ncpus; cpu++)
		*sum += values[cpu];
	free(values);
	return err;
}
// mapspec:example:end percpu-sum

/* Writes cpu + 1 into each CPU's slot of key 0 of a map of `type` and
 * checks the sum; an absent key gives the lookup's -ENOENT. */
static void check_sum(enum bpf_map_type type)
{
	int ncpus = libbpf_num_possible_cpus();
	__u32 key = 0, absent = 3;
	__u64 *values, sum = 1;
	int fd;

	assert(ncpus > 0);
	values = calloc(ncpus, sizeof(*values));
	assert(values);
	for (int cpu = 0; cpu < ncpus; cpu++)
		values[cpu] = cpu + 1;
	fd = bpf_map_create(type, "percpu", sizeof(key), sizeof(__u64), 4,
			    NULL);
	assert(fd >= 0);
	assert(bpf_map_update_elem(fd, &key, values, BPF_ANY) == 0);
	assert(percpu_sum(fd, &key, &sum) == 0);
	assert(sum == (__u64)ncpus * (ncpus + 1) / 2);
	if (type != BPF_MAP_TYPE_PERCPU_ARRAY)
		assert(percpu_sum(fd, &absent, &sum) == -ENOENT);
	close(fd);
	free(values);
}

int main(void)
{
	check_sum(BPF_MAP_TYPE_PERCPU_HASH);
	check_sum(BPF_MAP_TYPE_LRU_PERCPU_HASH);
	check_sum(BPF_MAP_TYPE_PERCPU_ARRAY);
	return 0;
}
