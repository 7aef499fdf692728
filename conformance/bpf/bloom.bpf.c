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

SEC("tc")
int bloom_push(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u64 value;

	if (!a)
		return TC_ACT_SHOT;
	__builtin_memcpy(&value, a->value, sizeof(value));
	/* Sets one bit per hash function; 0, or -EINVAL for flags other
	 * than BPF_ANY. */
	a->ret = (int)bpf_map_push_elem(&target, &value, a->flags);
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
	/* 0: the value may have been pushed; -ENOENT: it certainly was
	 * not. Nothing is written to value. */
	a->ret = (int)bpf_map_peek_elem(&target, &value);
	return TC_ACT_OK;
}
// mapspec:example:end bloom-push-peek
