// SPDX-License-Identifier: GPL-2.0-only
/*
 * BPF_MAP_TYPE_BLOOM_FILTER from a program: bpf_map_push_elem() adds a
 * value, bpf_map_peek_elem() tests one. The filter has no keys, so the
 * value to test goes in (unlike a queue's peek, which copies one out).
 */
#include "mapspec.h"

// mapspec:example:begin bloom-push-peek
struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__type(value, __u64);
	__uint(max_entries, 64);
} target SEC(".maps");

/* Sets one bit per hash function: 0, or -EINVAL for flags other than
 * BPF_ANY. */
static __always_inline int bloom_add(__u64 value, __u64 flags)
{
	return bpf_map_push_elem(&target, &value, flags);
}

/* 0: the value may have been added; -ENOENT: it certainly was not.
 * Nothing is written to value. */
static __always_inline int bloom_test(__u64 value)
{
	return bpf_map_peek_elem(&target, &value);
}
// mapspec:example:end bloom-push-peek

SEC("tc")
int bloom_push(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u64 value;

	if (!a)
		return TC_ACT_SHOT;
	__builtin_memcpy(&value, a->value, sizeof(value));
	a->ret = bloom_add(value, a->flags);
	return TC_ACT_OK;
}

SEC("tc")
int bloom_peek(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u64 value;

	if (!a)
		return TC_ACT_SHOT;
	__builtin_memcpy(&value, a->value, sizeof(value));
	a->ret = bloom_test(value);
	return TC_ACT_OK;
}
