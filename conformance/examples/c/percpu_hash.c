// SPDX-License-Identifier: GPL-2.0-only
/*
 * Userspace side of BPF_MAP_TYPE_PERCPU_HASH with libbpf: one value per
 * possible CPU, each rounded up to 8 bytes. Compiled and run by a test.
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

int main(void)
{
	// mapspec:example:begin percpu-hash-userspace
	int ncpus = libbpf_num_possible_cpus();
	__u32 key = 0;
	__u64 *values, total = 0;
	int fd, err, cpu;

	assert(ncpus > 0);
	/* The buffer holds one value per possible CPU (not online CPU). */
	values = calloc(ncpus, sizeof(__u64));
	assert(values);

	fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, "example", sizeof(key),
			    sizeof(__u64), 4, NULL);
	assert(fd >= 0);

	/* Userspace writes every CPU's slot at once... */
	for (cpu = 0; cpu < ncpus; cpu++)
		values[cpu] = cpu + 1;
	err = bpf_map_update_elem(fd, &key, values, BPF_ANY);
	assert(err == 0);

	/* ...and reads them all back: add them up for a total. */
	for (cpu = 0; cpu < ncpus; cpu++)
		values[cpu] = 0;
	err = bpf_map_lookup_elem(fd, &key, values);
	assert(err == 0);
	for (cpu = 0; cpu < ncpus; cpu++)
		total += values[cpu];
	assert(total == (__u64)ncpus * (ncpus + 1) / 2);
	close(fd);
	free(values);
	// mapspec:example:end percpu-hash-userspace
	return 0;
}
