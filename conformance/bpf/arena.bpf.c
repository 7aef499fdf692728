// SPDX-License-Identifier: GPL-2.0-only
/*
 * BPF_MAP_TYPE_ARENA from a program: the bpf_arena_alloc_pages() and
 * bpf_arena_free_pages() kfuncs (6.9). Dereferencing an arena pointer in
 * a program needs clang's __arena address space (clang 18 and later);
 * these programs only allocate and free pages, which any clang compiles.
 * The programs are BPF_PROG_TYPE_SYSCALL (sleepable, run by
 * BPF_PROG_TEST_RUN with the argument block as their context).
 * The verifier requires the arena's user address to be set (map_extra,
 * or a first mmap()) before a program that uses it loads: the claims
 * mmap() the arena first.
 */
#include "mapspec.h"

/* Newer than Debian's <linux/bpf.h>: defined after it, the name cannot
 * clash with the enum of a newer header. */
#define BPF_MAP_TYPE_ARENA 33
#define NUMA_NO_NODE (-1)

// mapspec:example:begin arena-alloc
struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1); /* pages */
} target SEC(".maps");

extern void *bpf_arena_alloc_pages(void *map, void *addr, __u32 page_cnt,
				   int node_id, __u64 flags) __ksym;
extern void bpf_arena_free_pages(void *map, void *ptr, __u32 page_cnt) __ksym;

/* The address of `pages` new zeroed pages in the arena, or NULL when the
 * arena has no room. The pages stay allocated after the program
 * returns. */
static __always_inline void *alloc(__u32 pages)
{
	return bpf_arena_alloc_pages(&target, 0, pages, NUMA_NO_NODE, 0);
}

/* Takes a page and gives it back: the next allocation can have it. */
static __always_inline int alloc_and_free(void)
{
	void *p;

	p = bpf_arena_alloc_pages(&target, 0, 1, NUMA_NO_NODE, 0);
	if (!p)
		return -ENOSPC;
	bpf_arena_free_pages(&target, p, 1);
	return 0;
}
// mapspec:example:end arena-alloc

/* Syscall programs, which may sleep: the 6.18 verifier rejects these
 * kfuncs in tc programs. The argument block is the context. */
SEC("syscall")
int arena_alloc(struct mapspec_args *a)
{
	__u32 pages;

	__builtin_memcpy(&pages, a->value, sizeof(pages));
	a->ret = alloc(pages) ? 0 : -MAPSPEC_ENOENT;
	return 0;
}

SEC("syscall")
int arena_alloc_free(struct mapspec_args *a)
{
	a->ret = alloc_and_free() ? -MAPSPEC_ENOENT : 0;
	return 0;
}

