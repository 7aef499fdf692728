//! Kernel versions and the `since`/`until` predicates of claims.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;

/// An upstream kernel version, `major.minor[.patch]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KernelVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

/// bpf(2) appeared in 3.18; no claim can predate it.
pub const FIRST_BPF: KernelVersion = KernelVersion {
    major: 3,
    minor: 18,
    patch: 0,
};

impl KernelVersion {
    pub fn new(major: u32, minor: u32, patch: u32) -> Self {
        KernelVersion {
            major,
            minor,
            patch,
        }
    }

    /// Parse `5.14`, `6.1.119`, or a release string such as `6.1.0-28-amd64`
    /// (anything after the numeric prefix is ignored).
    pub fn parse(s: &str) -> Option<Self> {
        let mut nums = s
            .split(|c: char| !c.is_ascii_digit())
            .take(3)
            .map(|p| p.parse::<u32>().ok());
        let major = nums.next()??;
        let minor = nums.next()??;
        let patch = nums.next().flatten().unwrap_or(0);
        if !s.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        Some(KernelVersion {
            major,
            minor,
            patch,
        })
    }

    pub fn same_series(&self, other: &KernelVersion) -> bool {
        self.major == other.major && self.minor == other.minor
    }
}

impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.patch == 0 {
            write!(f, "{}.{}", self.major, self.minor)
        } else {
            write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
        }
    }
}

impl Serialize for KernelVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for KernelVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // YAML reads `5.10` as a float and would turn it into 5.1; insist on strings.
        let v = serde_json::Value::deserialize(d)?;
        let s = match v {
            serde_json::Value::String(s) => s,
            other => {
                return Err(de::Error::custom(format!(
                    "kernel version must be a quoted string such as \"5.10\", got {other}"
                )))
            }
        };
        let parsed = KernelVersion::parse(&s)
            .filter(|_| {
                s.split('.')
                    .all(|p| p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty())
            })
            .ok_or_else(|| {
                de::Error::custom(format!(
                    "`{s}` is not a kernel version like \"5.14\" or \"6.1.120\""
                ))
            })?;
        Ok(parsed)
    }
}

impl JsonSchema for KernelVersion {
    fn schema_name() -> Cow<'static, str> {
        "KernelVersion".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An upstream kernel version as a quoted string: \"5.14\" or \"6.1.120\".",
            "type": "string",
            "pattern": "^[0-9]+\\.[0-9]+(\\.[0-9]+)?$"
        })
    }
}

/// When a behaviour appeared: a mainline version, plus stable branches that
/// got it by backport (e.g. since 6.13, backported to 6.1.120 and 5.10.232).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Since {
    Version(KernelVersion),
    Backported {
        version: KernelVersion,
        /// First stable release of each older series that carries the change.
        backports: Vec<KernelVersion>,
    },
}

impl Since {
    pub fn version(&self) -> KernelVersion {
        match self {
            Since::Version(v) | Since::Backported { version: v, .. } => *v,
        }
    }
    pub fn backports(&self) -> &[KernelVersion] {
        match self {
            Since::Version(_) => &[],
            Since::Backported { backports, .. } => backports,
        }
    }
    /// Does a kernel of version `k` have this behaviour?
    pub fn holds_on(&self, k: KernelVersion) -> bool {
        k >= self.version()
            || self
                .backports()
                .iter()
                .any(|b| b.same_series(&k) && k >= *b)
    }
    pub fn describe(&self) -> String {
        let bp = self.backports();
        if bp.is_empty() {
            format!("{}", self.version())
        } else {
            let list: Vec<String> = bp.iter().map(|b| b.to_string()).collect();
            format!("{} (backported to {})", self.version(), list.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_release_strings() {
        assert_eq!(
            KernelVersion::parse("6.1.0-28-amd64"),
            Some(KernelVersion::new(6, 1, 0))
        );
        assert_eq!(
            KernelVersion::parse("5.10"),
            Some(KernelVersion::new(5, 10, 0))
        );
        assert_eq!(KernelVersion::parse("x5.10"), None);
    }

    #[test]
    fn backports_count_only_in_their_series() {
        let s = Since::Backported {
            version: KernelVersion::new(6, 13, 0),
            backports: vec![KernelVersion::new(6, 1, 120)],
        };
        assert!(s.holds_on(KernelVersion::new(6, 1, 121)));
        assert!(!s.holds_on(KernelVersion::new(6, 1, 119)));
        assert!(!s.holds_on(KernelVersion::new(6, 6, 10)));
        assert!(s.holds_on(KernelVersion::new(6, 13, 0)));
    }
}
