//! What the kernel was built with, from `/proc/config.gz` when the kernel
//! has one (CONFIG_IKCONFIG_PROC): a claim whose requirement is compiled
//! out is a skip naming the option, not a failure. A kernel built from a
//! developer's tree often leaves out what a distribution enables (XDP
//! sockets, the BPF LSM, BTF).
//!
//! Which option a claim needs is spec data, not code: a spec's or claim's
//! `requires: {config: [...]}`, what `vmlinux_btf` and `lsm` imply, and
//! each fixture's options (`mapspec_spec::uses::kernel_options`).

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::OnceLock;

use mapspec_spec::Claim;

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
    /// skip reason naming the option and what needs it.
    pub fn missing_for(&self, claim: &Claim) -> Option<String> {
        let needs = mapspec_spec::uses::kernel_options(claim);
        let (_, what) = needs.iter().find(|(o, _)| !self.enabled(o))?;
        let off: Vec<&str> = needs
            .iter()
            .filter(|(o, w)| w == what && !self.enabled(o))
            .map(|(o, _)| *o)
            .collect();
        Some(format!(
            "the kernel is built without {} (/proc/config.gz), which {what} needs",
            off.join(", ")
        ))
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
    use mapspec_spec::MapSpec;

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
        assert_eq!(full.missing_for(claim), None);
        let why = no_xsk.missing_for(claim).expect("skipped");
        assert!(why.contains("CONFIG_XDP_SOCKETS"), "{why}");
        // A spec without `config` needs nothing beyond the BPF syscall.
        let hash = spec("hash");
        for c in hash.claims() {
            assert_eq!(no_xsk.missing_for(&c), None, "{}", c.global_id);
        }
        let inode = spec("inode_storage");
        let why = no_xsk.missing_for(&inode.claims()[0]).unwrap();
        assert!(why.contains("CONFIG_BPF_LSM"), "{why}");
    }

    #[test]
    fn a_fixture_s_option_skips_only_the_claims_that_use_the_fixture() {
        let no_inet = KernelConfig::parse("CONFIG_NET=y\nCONFIG_CGROUPS=y\n");
        let sockmap = spec("sockmap");
        let claims = sockmap.claims();
        let (with, without): (Vec<_>, Vec<_>) = claims.iter().partition(|c| {
            mapspec_spec::uses::fixtures(&c.program)
                .iter()
                .any(|f| f.config().contains(&"CONFIG_INET"))
        });
        assert!(!with.is_empty() && !without.is_empty());
        for c in with {
            let why = no_inet.missing_for(c).expect("skipped");
            assert!(
                why.contains("CONFIG_INET") && why.contains("fixture"),
                "{why}"
            );
        }
        for c in without {
            assert_eq!(no_inet.missing_for(c), None, "{}", c.global_id);
        }
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
}
