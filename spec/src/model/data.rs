//! Keys, values and element flags as a spec writes them.

use super::InnerMap;
use crate::names::{ElemFlag, Fixture, Outcome};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A key or value as written in a spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged, try_from = "crate::raw_datum::RawDatum")]
pub enum Datum {
    /// Little-endian, zero-padded or truncated to the field's size.
    Int(u64),
    /// Raw bytes; must match the field's size.
    Bytes(Vec<u8>),
    /// An LPM trie key: `struct bpf_lpm_trie_key_u8` (prefixlen, then data).
    Lpm { prefixlen: u32, data: Vec<u8> },
    /// The fd of a fixture the runner creates (e.g. `prog`, `perf_event`), as u32.
    Fd { fd: Fixture },
    /// The value half of an element counted from its key: value = key + offset.
    Pattern { pattern: u64 },
    /// The kernel id (from BPF_OBJ_GET_INFO_BY_FD) of a program or map
    /// fixture, as u32: what PROG_ARRAY and map-in-map lookups return.
    Id { id: Fixture },
    /// The index of a network interface by name (`lo`), as u32.
    Ifindex { ifindex: String },
    /// The socket cookie (SO_COOKIE) of a socket fixture, as u64.
    Cookie { cookie: Fixture },
    /// Consecutive 32-bit little-endian words, e.g. `struct bpf_devmap_val`
    /// (ifindex, then a program fd or id); zero-padded to the field's size.
    U32s { u32s: Vec<Datum> },
    /// The fd of a fresh map created from this template for the step.
    Map { map: Box<InnerMap> },
}

/// Element flags: one name or a list, OR-ed together.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Flags {
    One(ElemFlag),
    Many(Vec<ElemFlag>),
}

// Hand-written so that a misspelt flag gets "did you mean" instead of
// serde's "did not match any variant of untagged enum".
impl<'de> Deserialize<'de> for Flags {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Flags;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an update flag name or a list of them")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Flags, E> {
                ElemFlag::deserialize(serde::de::value::StrDeserializer::<E>::new(s))
                    .map(Flags::One)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Flags, A::Error> {
                let mut v = Vec::new();
                while let Some(f) = seq.next_element::<ElemFlag>()? {
                    v.push(f);
                }
                Ok(Flags::Many(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl Default for Flags {
    fn default() -> Self {
        Flags::Many(Vec::new())
    }
}

impl Flags {
    pub fn value(&self) -> u64 {
        match self {
            Flags::One(f) => f.value(),
            Flags::Many(v) => v.iter().fold(0, |a, f| a | f.value()),
        }
    }
    pub fn names(&self) -> String {
        let v: Vec<&str> = match self {
            Flags::One(f) => vec![f.name()],
            Flags::Many(v) if v.is_empty() => vec!["BPF_ANY"],
            Flags::Many(v) => v.iter().map(|f| f.name()).collect(),
        };
        v.join(" | ")
    }
    pub fn is_default(&self) -> bool {
        self.value() == 0
    }
}

pub(crate) fn is_ok(o: &Outcome) -> bool {
    *o == Outcome::Ok
}

pub(crate) fn ok() -> Outcome {
    Outcome::Ok
}
