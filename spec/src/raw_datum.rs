//! How a [`Datum`] is read: with fixture names as strings first, so that
//! an unknown one gets "did you mean", where an untagged enum would only
//! say that no variant matched. Its schema is the schema of `Datum`.

use crate::model::{Datum, InnerMap};
use crate::names::Fixture;
use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "Datum", description = "A key or value as written in a spec.")]
pub(crate) enum RawDatum {
    /// Little-endian, zero-padded or truncated to the field's size.
    Int(u64),
    /// Raw bytes; must match the field's size.
    Bytes(Vec<u8>),
    /// An LPM trie key: `struct bpf_lpm_trie_key_u8` (prefixlen, then data).
    Lpm { prefixlen: u32, data: Vec<u8> },
    /// The fd of a fixture the runner creates (e.g. `prog`, `perf_event`), as u32.
    Fd {
        #[schemars(with = "Fixture")]
        fd: String,
    },
    /// The value half of an element counted from its key: value = key + offset.
    Pattern { pattern: u64 },
    /// The kernel id (from BPF_OBJ_GET_INFO_BY_FD) of a program or map
    /// fixture, as u32: what PROG_ARRAY and map-in-map lookups return.
    Id {
        #[schemars(with = "Fixture")]
        id: String,
    },
    /// The index of a network interface by name (`lo`), as u32.
    Ifindex { ifindex: String },
    /// The socket cookie (SO_COOKIE) of a socket fixture, as u64.
    Cookie {
        #[schemars(with = "Fixture")]
        cookie: String,
    },
    /// Consecutive 32-bit little-endian words, e.g. `struct bpf_devmap_val`
    /// (ifindex, then a program fd or id); zero-padded to the field's size.
    U32s { u32s: Vec<Datum> },
    /// The fd of a fresh map created from this template for the step.
    Map { map: Box<InnerMap> },
}

impl TryFrom<RawDatum> for Datum {
    type Error = String;
    fn try_from(raw: RawDatum) -> Result<Datum, String> {
        use serde::de::value::{Error, StrDeserializer};
        let fixture = |name: String| {
            Fixture::deserialize(StrDeserializer::<Error>::new(&name)).map_err(|e| e.to_string())
        };
        Ok(match raw {
            RawDatum::Int(v) => Datum::Int(v),
            RawDatum::Bytes(b) => Datum::Bytes(b),
            RawDatum::Lpm { prefixlen, data } => Datum::Lpm { prefixlen, data },
            RawDatum::Fd { fd } => Datum::Fd { fd: fixture(fd)? },
            RawDatum::Pattern { pattern } => Datum::Pattern { pattern },
            RawDatum::Id { id } => Datum::Id { id: fixture(id)? },
            RawDatum::Ifindex { ifindex } => Datum::Ifindex { ifindex },
            RawDatum::Cookie { cookie } => Datum::Cookie {
                cookie: fixture(cookie)?,
            },
            RawDatum::U32s { u32s } => Datum::U32s { u32s },
            RawDatum::Map { map } => Datum::Map { map },
        })
    }
}
