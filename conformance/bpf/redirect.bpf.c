// SPDX-License-Identifier: GPL-2.0-only
/*
 * Redirect maps (DEVMAP, DEVMAP_HASH, CPUMAP, XSKMAP) from programs:
 * bpf_redirect_map() is an XDP helper, and some of them allow a lookup.
 * Every value read here is a u32 (an ifindex, or an AF_XDP socket's
 * queue id).
 */
#include "mapspec.h"

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 4);
} target SEC(".maps");

/* bpf_map_lookup_elem() reading the first u32 of what it returns. */
SEC("tc")
int lookup_u32(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u32 key, *v;

	if (!a)
		return TC_ACT_SHOT;
	__builtin_memcpy(&key, a->key, sizeof(key));
	v = bpf_map_lookup_elem(&target, &key);
	if (!v) {
		a->ret = -MAPSPEC_ENOENT;
		return TC_ACT_OK;
	}
	a->ret = 0;
	__builtin_memcpy(a->value, v, sizeof(*v));
	return TC_ACT_OK;
}

/* bpf_redirect_map() from a tc program: not a tc helper. */
SEC("tc")
int redirect_map_tc(struct __sk_buff *ctx)
{
	return bpf_redirect_map(&target, 0, 0);
}

// mapspec:example:begin redirect-map-xdp
/* XDP_REDIRECT when slot `key` holds a target; otherwise the lower bits
 * of the flags, here XDP_PASS. */
static __always_inline int redirect(__u32 key)
{
	return bpf_redirect_map(&target, key, XDP_PASS);
}
// mapspec:example:end redirect-map-xdp

SEC("xdp")
int redirect_map_xdp(struct xdp_md *ctx)
{
	struct mapspec_args *a = mapspec_xdp_args(ctx);
	__u32 key;

	if (!a)
		return XDP_ABORTED;
	__builtin_memcpy(&key, a->key, sizeof(key));
	return redirect(key);
}
