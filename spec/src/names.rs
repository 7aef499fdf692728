//! Symbolic names used in specs: errno values and uapi flag constants.
//!
//! These tables are ABI (uapi numbers), not expectations: what a kernel
//! *does* with them lives in the specs.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;

/// Suggest the closest candidate for a misspelt name.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let up = input.to_ascii_uppercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&up, &c.to_ascii_uppercase()), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

fn unknown<E: de::Error>(kind: &str, got: &str, known: &[&str]) -> E {
    match did_you_mean(got, known.iter().copied()) {
        Some(s) => E::custom(format!("unknown {kind} `{got}`, did you mean `{s}`?")),
        None => E::custom(format!("unknown {kind} `{got}`")),
    }
}

macro_rules! symbolic {
    ($(#[$m:meta])* $name:ident, $kind:literal, $ty:ty, { $($var:ident = $val:expr),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[allow(clippy::upper_case_acronyms, non_camel_case_types)]
        pub enum $name { $($var),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$var),*];
            pub const NAMES: &'static [&'static str] = &[$(stringify!($var)),*];
            pub fn name(self) -> &'static str {
                match self { $($name::$var => stringify!($var)),* }
            }
            pub fn value(self) -> $ty {
                match self { $($name::$var => $val),* }
            }
            pub fn from_name(s: &str) -> Option<Self> {
                match s { $(stringify!($var) => Some($name::$var),)* _ => None }
            }
            pub fn from_value(v: $ty) -> Option<Self> {
                $(if v == $val { return Some($name::$var); })*
                None
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.name()) }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str(self.name()) }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::from_name(&s).ok_or_else(|| unknown($kind, &s, $name::NAMES))
            }
        }
        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> { stringify!($name).into() }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({ "type": "string", "enum": $name::NAMES })
            }
        }
    };
}

symbolic!(
    /// Errno values as userspace sees them from bpf(2). ENOTSUPP (524) is
    /// kernel-internal but leaks to userspace, and is not EOPNOTSUPP (95).
    Errno, "errno", i32, {
    EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7,
    EBADF = 9, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16,
    EEXIST = 17, EXDEV = 18, ENODEV = 19, ENOTDIR = 20, EINVAL = 22, ENFILE = 23,
    EMFILE = 24, ENOTTY = 25, EFBIG = 27, ENOSPC = 28, ESPIPE = 29, ERANGE = 34,
    EDEADLK = 35, ENAMETOOLONG = 36, ENOSYS = 38, ENOTEMPTY = 39, ELOOP = 40,
    ENODATA = 61, EOVERFLOW = 75, EBADFD = 77, ENOTSOCK = 88, EPROTONOSUPPORT = 93,
    EOPNOTSUPP = 95, EAFNOSUPPORT = 97, EADDRINUSE = 98, ENOBUFS = 105,
    EISCONN = 106, ENOTCONN = 107, ETIMEDOUT = 110, EALREADY = 114, ENOTSUPP = 524,
});

symbolic!(
    /// `map_flags` of BPF_MAP_CREATE (include/uapi/linux/bpf.h).
    MapFlag, "map flag", u32, {
    BPF_F_NO_PREALLOC = 1 << 0, BPF_F_NO_COMMON_LRU = 1 << 1, BPF_F_NUMA_NODE = 1 << 2,
    BPF_F_RDONLY = 1 << 3, BPF_F_WRONLY = 1 << 4, BPF_F_STACK_BUILD_ID = 1 << 5,
    BPF_F_ZERO_SEED = 1 << 6, BPF_F_RDONLY_PROG = 1 << 7, BPF_F_WRONLY_PROG = 1 << 8,
    BPF_F_CLONE = 1 << 9, BPF_F_MMAPABLE = 1 << 10, BPF_F_PRESERVE_ELEMS = 1 << 11,
    BPF_F_INNER_MAP = 1 << 12, BPF_F_LINK = 1 << 13, BPF_F_PATH_FD = 1 << 14,
    BPF_F_VTYPE_BTF_OBJ_FD = 1 << 15, BPF_F_TOKEN_FD = 1 << 16,
    BPF_F_SEGV_ON_FAULT = 1 << 17, BPF_F_NO_USER_CONV = 1 << 18,
});

symbolic!(
    /// `flags` of the element commands (BPF_MAP_UPDATE_ELEM, LOOKUP_ELEM, ...).
    ElemFlag, "update flag", u64, {
    BPF_ANY = 0, BPF_NOEXIST = 1, BPF_EXIST = 2, BPF_F_LOCK = 4, BPF_F_CPU = 8,
    BPF_F_ALL_CPUS = 16,
});

symbolic!(
    /// Capabilities relevant to map creation.
    Capability, "capability", u32, {
    CAP_NET_ADMIN = 12, CAP_SYS_ADMIN = 21, CAP_PERFMON = 38, CAP_BPF = 39,
});

symbolic!(
    /// Fixtures a spec may reference as `{fd: NAME}` (and `{id: NAME}` for
    /// programs and maps, `{cookie: NAME}` for sockets); the runner creates
    /// them per check (see `conformance/src/fixtures.rs` for what each is).
    /// The numbers only order the table.
    Fixture, "fixture", u8, {
    prog = 0, tc_prog = 1, xdp_devmap_prog = 2, xdp_cpumap_prog = 3, map = 4,
    perf_event = 5, perf_event_inherit = 6, cgroup = 7, tcp = 8, tcp_listen = 9,
    tcp_unbound = 10, udp = 11, udp_reuseport = 12, tcp_reuseport = 13, xsk = 14,
    xsk_unbound = 15, pidfd = 16, file = 17,
});

/// The names of [`Fixture`].
pub const FIXTURES: &[&str] = Fixture::NAMES;

impl Fixture {
    /// The kernel options (built in or a module) the runner needs to make
    /// this fixture: a kernel whose `/proc/config.gz` lacks one skips the
    /// claims that use it, naming the option. Only dependencies that hold
    /// on every kernel the specs cover.
    pub fn config(self) -> &'static [&'static str] {
        use Fixture::*;
        // No catch-all: a new fixture has to say what it needs.
        match self {
            cgroup => &["CONFIG_CGROUPS"],
            perf_event | perf_event_inherit => &["CONFIG_PERF_EVENTS"],
            tcp | tcp_listen | tcp_unbound | tcp_reuseport | udp | udp_reuseport => {
                &["CONFIG_INET"]
            }
            xsk | xsk_unbound => &["CONFIG_XDP_SOCKETS"],
            prog | tc_prog | xdp_devmap_prog | xdp_cpumap_prog | map | pidfd | file => &[],
        }
    }
}

/// What the `map` fixture is: an array of one 4-byte element, whose fd and
/// id map-in-map and `{id: map}` claims use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapFixture {
    pub type_value: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
}

/// The `map` fixture's attributes.
pub const MAP_FIXTURE: MapFixture = MapFixture {
    type_value: crate::map_types::value_of("BPF_MAP_TYPE_ARRAY"),
    key_size: 4,
    value_size: 4,
    max_entries: 1,
};

/// The kernel option `requires: {vmlinux_btf: true}` needs.
pub const VMLINUX_BTF_CONFIG: &str = "CONFIG_DEBUG_INFO_BTF";

/// The kernel option each `requires: {lsm: NAME}` needs, for the LSMs
/// specs name.
pub const LSM_CONFIG: &[(&str, &str)] = &[("bpf", "CONFIG_BPF_LSM")];

/// Fixtures that have a kernel id (`{id: NAME}`).
pub const ID_FIXTURES: &[&str] = &[
    "prog",
    "tc_prog",
    "xdp_devmap_prog",
    "xdp_cpumap_prog",
    "map",
];

/// Socket fixtures, which have a cookie (`{cookie: NAME}`).
pub const SOCKET_FIXTURES: &[&str] = &[
    "tcp",
    "tcp_listen",
    "tcp_unbound",
    "udp",
    "udp_reuseport",
    "tcp_reuseport",
];

symbolic!(
    /// BTF recipes a spec may name in `btf:`; the runner builds them.
    /// `none` passes no BTF at all (to override a `btf` in `base`); `fd_only`
    /// passes a BTF object's fd without key or value type ids (struct_ops,
    /// whose value type comes from vmlinux through `vmlinux_value`). The
    /// numbers only order the table.
    BtfRecipe, "BTF recipe", u8, {
    spin_lock_value = 0, int_key_value = 1, int_key_only = 2, fd_only = 3, none = 4,
});

/// The names of [`BtfRecipe`].
pub const BTF_RECIPES: &[&str] = BtfRecipe::NAMES;

/// The result of one operation: success, or a specific errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Outcome {
    #[default]
    Ok,
    Err(Errno),
    /// An errno outside [`Errno`]'s table, kept as its number: the exact
    /// errno is the product, so it is never rounded to a named one. Built
    /// by [`Outcome::from_errno`], which never wraps a number the table
    /// knows, so it never equals an `Err`.
    Unknown(i32),
}

impl Outcome {
    /// The outcome of a call that returns a negative errno on failure.
    pub fn from_ret(ret: i32) -> Outcome {
        if ret >= 0 {
            Outcome::Ok
        } else {
            Outcome::from_errno(ret.wrapping_neg())
        }
    }
    /// The outcome of a failure with errno `e` (a positive number).
    pub fn from_errno(e: i32) -> Outcome {
        Errno::from_value(e).map_or(Outcome::Unknown(e), Outcome::Err)
    }
    pub fn name(self) -> String {
        match self {
            Outcome::Ok => "ok".into(),
            Outcome::Err(e) => e.name().into(),
            Outcome::Unknown(n) => format!("errno {n}"),
        }
    }
    pub fn is_ok(self) -> bool {
        self == Outcome::Ok
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for Outcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

impl<'de> Deserialize<'de> for Outcome {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s == "ok" {
            return Ok(Outcome::Ok);
        }
        // `errno N`, as an unknown errno prints, reads back as itself.
        if let Some(n) = s.strip_prefix("errno ").and_then(|n| n.parse().ok()) {
            return Ok(Outcome::from_errno(n));
        }
        match Errno::from_name(&s) {
            Some(e) => Ok(Outcome::Err(e)),
            None => {
                let mut known: Vec<&str> = vec!["ok"];
                known.extend(Errno::NAMES);
                Err(unknown("outcome (`ok` or an errno name)", &s, &known))
            }
        }
    }
}

impl JsonSchema for Outcome {
    fn schema_name() -> Cow<'static, str> {
        "Outcome".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let mut names: Vec<&str> = vec!["ok"];
        names.extend(Errno::NAMES);
        json_schema!({
            "description": "`ok`, or the symbolic errno the kernel returns (ENOTSUPP is 524, distinct from EOPNOTSUPP).",
            "type": "string",
            "enum": names
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enotsupp_is_distinct_from_eopnotsupp() {
        assert_eq!(Errno::ENOTSUPP.value(), 524);
        assert_eq!(Errno::EOPNOTSUPP.value(), 95);
        assert_eq!(Outcome::from_ret(-524), Outcome::Err(Errno::ENOTSUPP));
    }

    #[test]
    fn an_unknown_errno_is_recorded_as_its_number() {
        // 133 is EHWPOISON: a real errno that the table does not name.
        let o = Outcome::from_ret(-133);
        assert_eq!(o, Outcome::Unknown(133));
        assert_eq!(o.to_string(), "errno 133");
        assert!(Errno::ALL.iter().all(|e| o != Outcome::Err(*e)));
        assert_ne!(o, Outcome::Err(Errno::EIO));
        // A number the table knows is never wrapped as unknown.
        assert_eq!(Outcome::from_errno(5), Outcome::Err(Errno::EIO));
        let back: Outcome = serde_json::from_str(&serde_json::to_string(&o).unwrap()).unwrap();
        assert_eq!(back, o);
        assert_eq!(Outcome::from_ret(i32::MIN), Outcome::Unknown(i32::MIN));
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("ENOENTT", Errno::NAMES.iter().copied()),
            Some("ENOENT")
        );
        assert_eq!(
            did_you_mean("BPF_NOEXISTS", ElemFlag::NAMES.iter().copied()),
            Some("BPF_NOEXIST")
        );
        assert_eq!(did_you_mean("zzzz", Errno::NAMES.iter().copied()), None);
    }
}
