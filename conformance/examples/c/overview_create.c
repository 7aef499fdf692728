// SPDX-License-Identifier: GPL-2.0-only
/*
 * BPF_MAP_CREATE without libbpf: the attributes the kernel reads. A test
 * compiles this file (cc overview_create.c -lbpf) and runs it as root;
 * the region between the mapspec:example markers is shown on
 * Documentation/bpf/ebpf_maps.rst.
 */
/* The checks are assert()s: never compiled out. */
#undef NDEBUG
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

int main(void)
{
	__u32 key = 1;
	__u64 value = 7, out = 0;

	// mapspec:example:begin create-attr
	union bpf_attr attr;
	int fd;

	/* Unused fields must be zero: the kernel refuses unknown non-zero
	 * bytes with E2BIG or EINVAL. */
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_HASH;
	attr.key_size = sizeof(__u32);   /* bytes */
	attr.value_size = sizeof(__u64); /* bytes */
	attr.max_entries = 1024;         /* capacity */
	attr.map_flags = BPF_F_NO_PREALLOC;
	strncpy(attr.map_name, "counters", sizeof(attr.map_name) - 1);
	/* Also: inner_map_fd (map-in-map), numa_node (BPF_F_NUMA_NODE),
	 * btf_fd with btf_key_type_id and btf_value_type_id, map_extra. */

	fd = syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	if (fd < 0)
		return 1; /* errno says why */
	// mapspec:example:end create-attr

	/* The map works like any other. */
	assert(bpf_map_update_elem(fd, &key, &value, BPF_NOEXIST) == 0);
	assert(bpf_map_lookup_elem(fd, &key, &out) == 0 && out == 7);

	/* A field the map type does not take is refused. */
	close(fd);
	attr.map_flags = BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG;
	fd = syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	assert(fd < 0 && errno == EINVAL);
	return 0;
}
