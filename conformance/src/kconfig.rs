//! What the kernel was built with, from `/proc/config.gz` when the kernel
//! has one (CONFIG_IKCONFIG_PROC): a claim whose requirement is compiled
//! out is a skip naming the option, not a failure. A kernel built from a
//! developer's tree often leaves out what a distribution enables (XDP
//! sockets, the BPF LSM, BTF).
//!
//! Which option a requirement needs is data ([`NEEDS`]), not code: a new
//! map type or fixture with a config dependency is one more row.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::OnceLock;

use mapspec_spec::{Claim, MapSpec};

/// Requirement -> the options it needs (all of them, `=y` or `=m`).
/// Keys: `map_type:<BPF_MAP_TYPE_...>`, `fixture:<name>` (a `{fd: NAME}`
/// the claim uses), `requires:vmlinux_btf`, `requires:lsm:<name>`.
/// Only dependencies that hold on every kernel the specs cover are listed
/// (sockmap's CONFIG_BPF_STREAM_PARSER, for one, went away in 5.15).
pub const NEEDS: &[(&str, &[&str])] = &[
    ("requires:vmlinux_btf", &["CONFIG_DEBUG_INFO_BTF"]),
    ("requires:lsm:bpf", &["CONFIG_BPF_LSM"]),
    (
        "map_type:BPF_MAP_TYPE_CGROUP_STORAGE",
        &["CONFIG_CGROUP_BPF"],
    ),
    (
        "map_type:BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE",
        &["CONFIG_CGROUP_BPF"],
    ),
    ("map_type:BPF_MAP_TYPE_CGROUP_ARRAY", &["CONFIG_CGROUPS"]),
    ("map_type:BPF_MAP_TYPE_CGRP_STORAGE", &["CONFIG_CGROUPS"]),
    ("map_type:BPF_MAP_TYPE_INODE_STORAGE", &["CONFIG_BPF_LSM"]),
    ("map_type:BPF_MAP_TYPE_SK_STORAGE", &["CONFIG_NET"]),
    ("map_type:BPF_MAP_TYPE_SOCKMAP", &["CONFIG_NET"]),
    ("map_type:BPF_MAP_TYPE_SOCKHASH", &["CONFIG_NET"]),
    ("map_type:BPF_MAP_TYPE_DEVMAP", &["CONFIG_NET"]),
    ("map_type:BPF_MAP_TYPE_DEVMAP_HASH", &["CONFIG_NET"]),
    ("map_type:BPF_MAP_TYPE_CPUMAP", &["CONFIG_NET"]),
    ("map_type:BPF_MAP_TYPE_XSKMAP", &["CONFIG_XDP_SOCKETS"]),
    (
        "map_type:BPF_MAP_TYPE_REUSEPORT_SOCKARRAY",
        &["CONFIG_INET"],
    ),
    (
        "map_type:BPF_MAP_TYPE_PERF_EVENT_ARRAY",
        &["CONFIG_PERF_EVENTS"],
    ),
    ("map_type:BPF_MAP_TYPE_STACK_TRACE", &["CONFIG_PERF_EVENTS"]),
    (
        "map_type:BPF_MAP_TYPE_STRUCT_OPS",
        &["CONFIG_DEBUG_INFO_BTF"],
    ),
    ("fixture:cgroup", &["CONFIG_CGROUPS"]),
    ("fixture:perf_event", &["CONFIG_PERF_EVENTS"]),
    ("fixture:perf_event_inherit", &["CONFIG_PERF_EVENTS"]),
    ("fixture:tcp", &["CONFIG_INET"]),
    ("fixture:tcp_listen", &["CONFIG_INET"]),
    ("fixture:tcp_unbound", &["CONFIG_INET"]),
    ("fixture:tcp_reuseport", &["CONFIG_INET"]),
    ("fixture:udp", &["CONFIG_INET"]),
    ("fixture:udp_reuseport", &["CONFIG_INET"]),
    ("fixture:xsk", &["CONFIG_XDP_SOCKETS"]),
    ("fixture:xsk_unbound", &["CONFIG_XDP_SOCKETS"]),
];

/// A kernel configuration: option -> value (`y`, `m`, a number, a string).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KernelConfig {
    options: BTreeMap<String, String>,
}

impl KernelConfig {
    /// `.config` text: `CONFIG_X=y` lines; `# CONFIG_X is not set` and
    /// absent options are both off.
    pub fn parse(text: &str) -> KernelConfig {
        let options = text
            .lines()
            .filter_map(|l| l.trim().split_once('='))
            .filter(|(k, _)| k.starts_with("CONFIG_"))
            .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
            .collect();
        KernelConfig { options }
    }

    /// The gzip-compressed form of /proc/config.gz.
    pub fn from_gzip(bytes: &[u8]) -> Result<KernelConfig, std::io::Error> {
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes).read_to_string(&mut text)?;
        Ok(KernelConfig::parse(&text))
    }

    /// Built in or as a module.
    pub fn enabled(&self, option: &str) -> bool {
        matches!(
            self.options.get(option).map(String::as_str),
            Some("y" | "m")
        )
    }

    /// The value of an option, if set.
    pub fn value(&self, option: &str) -> Option<&str> {
        self.options.get(option).map(String::as_str)
    }

    /// The first requirement of `claim` whose option is compiled out, as a
    /// skip reason naming the option.
    pub fn missing_for(&self, spec: &MapSpec, claim: &Claim) -> Option<String> {
        let mut keys = vec![format!("map_type:{}", spec.map_type)];
        if claim.requires.vmlinux_btf {
            keys.push("requires:vmlinux_btf".into());
        }
        if let Some(lsm) = &claim.requires.lsm {
            keys.push(format!("requires:lsm:{lsm}"));
        }
        // A fixture use is a `Datum::Fd { fd: NAME }` (or id, cookie) in the
        // program; the derived Debug form spells each one `: NAME }`.
        let program = format!("{:?}", claim.program);
        for f in mapspec_spec::names::FIXTURES {
            if program.contains(&format!(": {f} }}")) {
                keys.push(format!("fixture:{f}"));
            }
        }
        keys.iter().find_map(|key| {
            let (_, options) = NEEDS.iter().find(|(k, _)| k == key)?;
            let off: Vec<&str> = options
                .iter()
                .copied()
                .filter(|o| !self.enabled(o))
                .collect();
            (!off.is_empty()).then(|| {
                format!(
                    "the kernel is built without {} (/proc/config.gz), which {} needs",
                    off.join(", "),
                    key.replace(':', " ")
                )
            })
        })
    }
}

/// This kernel's configuration, read once; None without /proc/config.gz
/// (or when it does not unpack): then nothing is skipped for it.
pub fn running() -> Option<&'static KernelConfig> {
    static CONFIG: OnceLock<Option<KernelConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let bytes = std::fs::read("/proc/config.gz").ok()?;
            KernelConfig::from_gzip(&bytes).ok()
        })
        .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> MapSpec {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/maps");
        mapspec_spec::load_file(&dir.join(format!("{name}.yaml"))).expect("spec loads")
    }

    #[test]
    fn a_compiled_out_option_skips_the_claims_that_need_it_naming_it() {
        let full = KernelConfig::parse("CONFIG_XDP_SOCKETS=y\nCONFIG_BPF_LSM=y\nCONFIG_NET=y\n");
        let no_xsk = KernelConfig::parse("# CONFIG_XDP_SOCKETS is not set\nCONFIG_NET=y\n");
        let xsk = spec("xskmap");
        let claim = &xsk.claims()[0];
        assert_eq!(full.missing_for(&xsk, claim), None);
        let why = no_xsk.missing_for(&xsk, claim).expect("skipped");
        assert!(why.contains("CONFIG_XDP_SOCKETS"), "{why}");
        // A map type without a row needs nothing beyond the BPF syscall.
        let hash = spec("hash");
        for c in hash.claims() {
            assert_eq!(no_xsk.missing_for(&hash, &c), None, "{}", c.global_id);
        }
        let inode = spec("inode_storage");
        let why = no_xsk.missing_for(&inode, &inode.claims()[0]).unwrap();
        assert!(why.contains("CONFIG_BPF_LSM"), "{why}");
    }

    #[test]
    fn config_gz_is_read_and_modules_count_as_enabled() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"CONFIG_NET=m\nCONFIG_NR_CPUS=\"64\"\n# CONFIG_INET is not set\n")
            .unwrap();
        let c = KernelConfig::from_gzip(&gz.finish().unwrap()).unwrap();
        assert!(c.enabled("CONFIG_NET"));
        assert!(!c.enabled("CONFIG_INET"));
        assert!(!c.enabled("CONFIG_XDP_SOCKETS"));
        assert_eq!(c.value("CONFIG_NR_CPUS"), Some("64"));
        assert!(KernelConfig::from_gzip(b"not gzip").is_err());
    }

    #[test]
    fn every_key_of_the_table_names_a_known_map_type_fixture_or_requirement() {
        let types: Vec<&str> = mapspec_spec::map_types::MAP_TYPES
            .iter()
            .map(|(t, _)| *t)
            .collect();
        for (key, options) in NEEDS {
            assert!(!options.is_empty() && options.iter().all(|o| o.starts_with("CONFIG_")));
            let ok = match key.split_once(':') {
                Some(("map_type", t)) => types.contains(&t),
                Some(("fixture", f)) => mapspec_spec::names::FIXTURES.contains(&f),
                Some(("requires", r)) => r == "vmlinux_btf" || r.starts_with("lsm:"),
                _ => false,
            };
            assert!(ok, "{key} names nothing the specs use");
        }
    }
}
