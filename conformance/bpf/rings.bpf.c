// SPDX-License-Identifier: GPL-2.0-only
/*
 * Ring buffers from programs: BPF_MAP_TYPE_RINGBUF (the program produces)
 * and BPF_MAP_TYPE_USER_RINGBUF (the program consumes).
 */
#include "mapspec.h"

// mapspec:example:begin ringbuf-output
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* bytes: a power of 2, whole pages */
} target SEC(".maps");

/* Copies the record in and commits it: 0, or -EAGAIN when the ring has
 * no room. */
static __always_inline int send_record(__u64 record)
{
	return bpf_ringbuf_output(&target, &record, sizeof(record), 0);
}

/* Bytes not yet consumed, 8-byte record headers included. */
static __always_inline __u64 unconsumed(void)
{
	return bpf_ringbuf_query(&target, BPF_RB_AVAIL_DATA);
}
// mapspec:example:end ringbuf-output

SEC("tc")
int ringbuf_output(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u64 record, avail;

	if (!a)
		return TC_ACT_SHOT;
	__builtin_memcpy(&record, a->value, sizeof(record));
	a->ret = send_record(record);
	avail = unconsumed();
	__builtin_memcpy(a->value, &avail, sizeof(avail));
	return TC_ACT_OK;
}

// mapspec:example:begin ringbuf-reserve
/* Writes the record in place: 0, or -ENOSPC when the ring has no room. */
static __always_inline int submit_record(__u64 value)
{
	__u64 *record;

	/* A pointer into the ring, or NULL when it has no room. */
	record = bpf_ringbuf_reserve(&target, sizeof(*record), 0);
	if (!record)
		return -ENOSPC;
	*record = value;
	/* Every reservation must be submitted or discarded: the verifier
	 * rejects a program that can leave one behind. */
	bpf_ringbuf_submit(record, 0);
	return 0;
}
// mapspec:example:end ringbuf-reserve

SEC("tc")
int ringbuf_reserve(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u64 value, avail;

	if (!a)
		return TC_ACT_SHOT;
	__builtin_memcpy(&value, a->value, sizeof(value));
	if (submit_record(value)) {
		/* No room: reported as ENOENT. */
		a->ret = -MAPSPEC_ENOENT;
		return TC_ACT_OK;
	}
	a->ret = 0;
	avail = unconsumed();
	__builtin_memcpy(a->value, &avail, sizeof(avail));
	return TC_ACT_OK;
}

// mapspec:example:begin user-ringbuf-drain
/* Called for each sample; returning 1 would stop the drain. */
static long count_sample(struct bpf_dynptr *sample, void *count)
{
	*(__u64 *)count += 1;
	return 0;
}

/* Calls count_sample() for each sample userspace has submitted; returns
 * how many it drained, or a negative errno. */
static __always_inline long drain(__u64 *count)
{
	return bpf_user_ringbuf_drain(&target, count_sample, count, 0);
}
// mapspec:example:end user-ringbuf-drain

SEC("tc")
int user_ringbuf_drain(struct __sk_buff *ctx)
{
	struct mapspec_args *a = mapspec_args(ctx);
	__u64 count = 0;

	if (!a)
		return TC_ACT_SHOT;
	a->ret = drain(&count);
	__builtin_memcpy(a->value, &count, sizeof(count));
	return TC_ACT_OK;
}
