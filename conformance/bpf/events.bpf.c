// SPDX-License-Identifier: GPL-2.0-only
/*
 * The helpers of the fd arrays and STACK_TRACE from a tc program:
 * bpf_perf_event_output() (PERF_EVENT_ARRAY), bpf_skb_under_cgroup()
 * (CGROUP_ARRAY), bpf_tail_call() (PROG_ARRAY), bpf_get_stackid()
 * (STACK_TRACE), bpf_sk_select_reuseport() (REUSEPORT_SOCKARRAY) and
 * bpf_get_local_storage() (CGROUP_STORAGE).
 */
#include "mapspec.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 4);
} target SEC(".maps");

// mapspec:example:begin perf-event-output
/* Writes the record to the perf event in slot `index`: 0, -ENOENT for
 * an empty slot, -E2BIG past max_entries, -EOPNOTSUPP when the event is
 * not active on this CPU. */
static __always_inline int send_record(struct __sk_buff *skb, __u32 index,
				       __u64 record)
{
	return bpf_perf_event_output(skb, &target, index, &record,
				     sizeof(record));
}
// mapspec:example:end perf-event-output

SEC("tc")
int perf_output(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u64 record;
	__u32 index;

	if (!a)
		return TC_ACT_SHOT;
	__builtin_memcpy(&index, a->key, sizeof(index));
	__builtin_memcpy(&record, a->value, sizeof(record));
	a->ret = send_record(ctx, index, record);
	return TC_ACT_OK;
}

// mapspec:example:begin skb-under-cgroup
/* 1 when the packet's socket is in the cgroup of slot `index` or below
 * it, 0 when not, -EAGAIN for an empty slot, -E2BIG past max_entries. */
static __always_inline int in_cgroup(struct __sk_buff *skb, __u32 index)
{
	return bpf_skb_under_cgroup(skb, &target, index);
}
// mapspec:example:end skb-under-cgroup

SEC("tc")
int under_cgroup(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u32 index;
	__s64 ret;

	if (!a)
		return TC_ACT_SHOT;
	__builtin_memcpy(&index, a->key, sizeof(index));
	ret = in_cgroup(ctx, index);
	a->ret = ret;
	__builtin_memcpy(a->value, &ret, sizeof(ret));
	return TC_ACT_OK;
}

// mapspec:example:begin tail-call
/* Does not return when slot `index` holds a program: that program runs
 * instead, and its return value is this program's. After an empty slot
 * or an index past max_entries, execution goes on. */
static __always_inline void dispatch(struct __sk_buff *skb, __u32 index)
{
	bpf_tail_call(skb, &target, index);
}
// mapspec:example:end tail-call

SEC("tc")
int tail_call(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u32 index;

	if (!a)
		return TC_ACT_SHOT;
	__builtin_memcpy(&index, a->key, sizeof(index));
	dispatch(ctx, index);
	return TC_ACT_SHOT;
}

SEC("tc")
int get_stackid(struct __sk_buff *ctx)
{
	return bpf_get_stackid(ctx, &target, 0) < 0 ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int select_reuseport(struct __sk_buff *ctx)
{
	__u32 key = 0;

	return bpf_sk_select_reuseport((void *)ctx, &target, &key, 0) ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int get_local_storage(struct __sk_buff *ctx)
{
	return bpf_get_local_storage(&target, 0) ? TC_ACT_OK : TC_ACT_SHOT;
}

// mapspec:example:begin cgroup-local-storage
/* A cgroup skb program: bpf_get_local_storage() returns this program's
 * value for the cgroup it runs in. BPF_PROG_TEST_RUN gives each run a
 * fresh zeroed value. The program cannot write the packet, so the answer
 * is the return value: 1 when the value was zero before the increment. */
SEC("cgroup_skb/ingress")
int cgroup_storage_count(struct __sk_buff *ctx)
{
	__u64 *v = bpf_get_local_storage(&target, 0);

	*v += 1;
	return *v == 1 ? 1 : 0;
}
// mapspec:example:end cgroup-local-storage
