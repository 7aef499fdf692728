// SPDX-License-Identifier: GPL-2.0-only
/*
 * ARRAY_OF_MAPS and HASH_OF_MAPS from a program: the outer lookup returns
 * the inner map, which the program passes to the next helper call. The
 * inner map template is the runner's inner_map (an ARRAY, u32 -> u32,
 * one entry); the `values` array declares it to libbpf.
 */
#include "mapspec.h"

// mapspec:example:begin map-in-map
struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__type(key, __u32);
	__uint(max_entries, 4);
	__array(values, struct inner);
} target SEC(".maps");

/* Adds `add` to element 0 of the inner map in slot `key` and stores the
 * sum in *sum: 0, or -ENOENT for an empty slot. */
static __always_inline int inner_add_at(__u32 key, __u32 add, __u32 *sum)
{
	__u32 zero = 0, *v;
	void *inner;

	/* The inner map, or NULL for an empty slot. */
	inner = bpf_map_lookup_elem(&target, &key);
	if (!inner)
		return -ENOENT;
	/* A pointer into the inner array's element 0. */
	v = bpf_map_lookup_elem(inner, &zero);
	if (!v)
		return -ENOENT;
	__sync_fetch_and_add(v, add);
	/* Read back through the same pointer. */
	*sum = *v;
	return 0;
}
// mapspec:example:end map-in-map

SEC("tc")
int inner_add(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u32 key, add;

	if (!a)
		return TC_ACT_SHOT;
	__builtin_memcpy(&key, a->key, sizeof(key));
	__builtin_memcpy(&add, a->value, sizeof(add));
	a->ret = inner_add_at(key, add, &add);
	if (a->ret == 0)
		__builtin_memcpy(a->value, &add, sizeof(add));
	return TC_ACT_OK;
}
