// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kernel-side map access for mapspec's claims. The regions between
 * `mapspec:example:begin NAME` and `mapspec:example:end NAME` are shown
 * verbatim in the generated documentation; the suite loads and runs every
 * program in this file.
 */
#include "mapspec.h"

#define ENOENT 2

// mapspec:example:begin target-map
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} target SEC(".maps");
// mapspec:example:end target-map

/* The helpers, one program each, driven by the argument packet: the
 * verifier-acceptance claims load them against every map type. */

SEC("xdp")
int map_lookup(struct xdp_md *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u64 *v;

	if (!a)
		return XDP_ABORTED;
	v = bpf_map_lookup_elem(&target, a->key);
	if (!v) {
		/* NULL: no element. Reported as ENOENT. */
		a->ret = -ENOENT;
		return XDP_PASS;
	}
	a->ret = 0;
	__builtin_memcpy(a->value, v, sizeof(*v));
	return XDP_PASS;
}

// mapspec:example:begin update-flags
SEC("xdp")
int map_update(struct xdp_md *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);

	if (!a)
		return XDP_ABORTED;
	/* 0, or -EEXIST (BPF_NOEXIST, key present), -ENOENT (BPF_EXIST,
	 * key absent), -E2BIG (map full)... */
	a->ret = bpf_map_update_elem(&target, a->key, a->value, a->flags);
	return XDP_PASS;
}
// mapspec:example:end update-flags

SEC("xdp")
int map_delete(struct xdp_md *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);

	if (!a)
		return XDP_ABORTED;
	a->ret = bpf_map_delete_elem(&target, a->key);
	return XDP_PASS;
}

// mapspec:example:begin push-pop-peek
SEC("xdp")
int map_push(struct xdp_md *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);

	if (!a)
		return XDP_ABORTED;
	/* BPF_EXIST makes a full queue or stack drop its oldest element. */
	a->ret = bpf_map_push_elem(&target, a->value, a->flags);
	return XDP_PASS;
}

SEC("xdp")
int map_pop(struct xdp_md *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);

	if (!a)
		return XDP_ABORTED;
	a->ret = bpf_map_pop_elem(&target, a->value);
	return XDP_PASS;
}

SEC("xdp")
int map_peek(struct xdp_md *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);

	if (!a)
		return XDP_ABORTED;
	a->ret = bpf_map_peek_elem(&target, a->value);
	return XDP_PASS;
}
// mapspec:example:end push-pop-peek

/* Counters on the u64 at key 0, for the pointer and atomicity claims. */

// mapspec:example:begin counter-atomic
SEC("xdp")
int counter_atomic(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *value;

	value = bpf_map_lookup_elem(&target, &key);
	if (!value)
		return XDP_ABORTED;
	/* A pointer into the map: an atomic add, no lost updates. */
	__sync_fetch_and_add(value, 1);
	return XDP_PASS;
}
// mapspec:example:end counter-atomic

// mapspec:example:begin counter-plain
SEC("xdp")
int counter_plain(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *value;

	value = bpf_map_lookup_elem(&target, &key);
	if (!value)
		return XDP_ABORTED;
	/* Load, add, store: concurrent runs on other CPUs can lose updates,
	 * unless the map is per-CPU. */
	*value += 1;
	return XDP_PASS;
}
// mapspec:example:end counter-plain
