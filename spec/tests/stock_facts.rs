//! The generated pages replace the kernel's own map pages, so what those
//! pages say must stay on ours (in our words): each fact below is looked
//! for in the prose of the page's specs (descriptions, key facts, notes,
//! statements, `api:` texts). Two statements that used to be wrong are
//! kept from coming back.

use mapspec_spec::model::MapSpec;
use std::path::Path;

fn specs() -> Vec<MapSpec> {
    mapspec_spec::load_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("the specs load")
}

/// All prose of one page, in one string.
fn page_prose(specs: &[MapSpec], page: &str) -> String {
    let mut out = String::new();
    for s in specs.iter().filter(|s| s.page == page) {
        for t in [&s.description, &s.summary, &s.useful_for] {
            out.push_str(t);
            out.push('\n');
        }
        for st in [&s.value_layout, &s.iteration, &s.atomicity]
            .into_iter()
            .chain(&s.key_facts)
        {
            out.push_str(&st.text);
            out.push('\n');
        }
        for n in &s.notes {
            out.push_str(&format!("{}\n{}\n", n.title, n.text));
            // A kernel figure or DOC section the note shows in place.
            if let Some(f) = &n.figure {
                out.push_str(&format!("kernel-figure {}\n{}\n", f.file, f.caption));
            }
            if let Some(k) = &n.kernel_doc {
                out.push_str(&format!("kernel-doc {} {}\n", k.source, k.doc));
            }
        }
        for f in s.api.helpers.iter().chain(&s.api.kfuncs) {
            out.push_str(&format!("{}\n{}\n", f.prototype, f.text));
        }
    }
    // Prose wraps anywhere: compare with single spaces.
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each stock page and the phrases that carry its facts.
const STOCK: &[(&str, &[&str])] = &[
    (
        "map_hash",
        &[
            "kernel-figure map_lru_hash_update.dot",
            "target_free",
            "BPF_F_NO_COMMON_LRU` decides where the LRU lists live",
            "BPF_MAP_LOOKUP_AND_DELETE_BATCH",
            "fetch the next key before deleting",
            "bpf_map_lookup_percpu_elem()",
        ],
    ),
    (
        "map_array",
        &[
            "values start on that boundary",
            "clear an element by writing zeros",
            "32 KiB",
        ],
    ),
    (
        "map_bloom_filter",
        &[
            "inner map",
            "more hash functions lower the false-positive rate",
            "Pushes and lookups take no lock",
        ],
    ),
    (
        "map_cgroup_storage",
        &[
            "Until 5.9",
            "at most one `BPF_MAP_TYPE_CGROUP_STORAGE` map",
            "attached to a parent cgroup",
            "detaching does not free it",
        ],
    ),
    (
        "map_cgrp_storage",
        &[
            "BPF_LOCAL_STORAGE_GET_F_CREATE",
            "void *bpf_cgrp_storage_get(void *map, struct cgroup *cgroup, void *value, __u64 flags)",
            "long bpf_cgrp_storage_delete(void *map, struct cgroup *cgroup)",
            "Compared with BPF_MAP_TYPE_CGROUP_STORAGE",
        ],
    ),
    (
        "map_cpumap",
        &["Receive Side Scaling", "Since 5.9 a slot can carry an XDP program", "kernel-doc kernel/bpf/cpumap.c cpu map"],
    ),
    (
        "map_devmap",
        &["BPF_F_BROADCAST", "BPF_F_EXCLUDE_INGRESS", "at the cost of hashing the key"],
    ),
    (
        "map_of_maps",
        &["Most map types can be inner maps", "Program arrays cannot", "__array(values"],
    ),
    (
        "map_ringbuf",
        &[
            "`BPF_RB_AVAIL_DATA`: bytes reserved but not yet consumed",
            "`BPF_RB_RING_SIZE`: the size of the data area",
            "`BPF_RB_CONS_POS`: the consumer position",
            "`BPF_RB_PROD_POS`: the producer position",
            "Each value is a snapshot",
            "in NMI context can fail to take it",
            "`BPF_RINGBUF_BUSY_BIT`",
            "`BPF_RINGBUF_DISCARD_BIT`",
            "take only the record pointer",
            "submitting and discarding take no lock",
            "a slow producer holds back records",
            "only if the consumer has already caught up",
            "`BPF_RB_NO_WAKEUP` sends no notification",
            "`BPF_RB_FORCE_WAKEUP` always sends one",
            "the whole group or none of it",
            "one ring per CPU",
        ],
    ),
    ("map_sk_storage", &["freeing the map frees its value in every socket"]),
    (
        "map_sockmap",
        &[
            "struct sk_psock",
            "EBUSY",
            "BPF_SK_SKB_STREAM_PARSER",
            "BPF_SK_SKB_STREAM_VERDICT",
            "BPF_SK_SKB_VERDICT",
            "BPF_SK_MSG_VERDICT",
            "SK_PASS",
            "SK_DROP",
            "bpf_msg_apply_bytes()",
            "bpf_msg_cork_bytes()",
            "bpf_msg_pull_data()",
            "bpf_msg_push_data()",
        ],
    ),
    ("map_xskmap", &["An AF_XDP socket binds to one queue of one network device"]),
];

#[test]
fn the_stock_pages_facts_are_on_our_pages() {
    let specs = specs();
    let mut missing = Vec::new();
    for (page, phrases) in STOCK {
        let prose = page_prose(&specs, page);
        assert!(!prose.is_empty(), "no spec renders into {page}");
        for p in *phrases {
            if !prose.contains(p) {
                missing.push(format!("{page}: {p}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "stock facts missing:\n{}",
        missing.join("\n")
    );
}

#[test]
fn local_storage_pages_list_only_the_helpers_the_verifier_accepts() {
    for s in specs().iter().filter(|s| s.runner.elements_live_in_owner) {
        let names: Vec<&str> = s.api.helpers.iter().map(|f| f.name.as_str()).collect();
        assert!(
            s.api.has_own_helpers(),
            "{}: without helpers of its own, the page lists the generic element helpers, which the verifier rejects",
            s.name
        );
        for generic in [
            "bpf_map_lookup_elem",
            "bpf_map_update_elem",
            "bpf_map_delete_elem",
        ] {
            assert!(!names.contains(&generic), "{}: lists {generic}", s.name);
        }
    }
}

#[test]
fn cgroup_storage_is_not_said_to_be_freed_on_detach() {
    for s in specs().iter().filter(|s| s.page == "map_cgroup_storage") {
        let d = s
            .description
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(!d.contains("frees it on detach"), "{}: {d}", s.name);
        assert!(
            !s.value_layout
                .text
                .contains("only while a program using the map is attached"),
            "{}",
            s.name
        );
    }
}
