//! How the evidence prints keys, values and data: one printer, so that the
//! expected and the observed side of a comparison read alike.

use mapspec_spec::Datum;

/// A field as the trace shows it: as a little-endian number when it fits
/// a u64 (keys, counters, ids), else as hex bytes.
pub fn number_or_hex(b: &[u8]) -> String {
    if b.len() <= 8 {
        let mut v = [0u8; 8];
        v[..b.len()].copy_from_slice(b);
        u64::from_le_bytes(v).to_string()
    } else {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}

/// A datum as the spec wrote it; `None` is a NULL pointer.
pub fn datum(d: Option<&Datum>) -> String {
    match d {
        None => "NULL".into(),
        Some(Datum::Int(v)) => v.to_string(),
        Some(Datum::Pattern { pattern }) => format!("pattern {pattern}"),
        Some(Datum::Bytes(b)) => format!("{b:?}"),
        Some(Datum::Lpm { prefixlen, data }) => {
            let parts: Vec<String> = data.iter().map(|b| b.to_string()).collect();
            format!("{}/{prefixlen}", parts.join("."))
        }
        Some(Datum::Fd { fd }) => format!("fd({fd})"),
        Some(Datum::Id { id }) => format!("id({id})"),
        Some(Datum::Ifindex { ifindex }) => format!("ifindex({ifindex})"),
        Some(Datum::Cookie { cookie }) => format!("cookie({cookie})"),
        Some(Datum::U32s { u32s }) => {
            let parts: Vec<String> = u32s.iter().map(|d| datum(Some(d))).collect();
            format!("[{}]", parts.join(", "))
        }
        Some(Datum::Map { map }) => format!("map(type {})", map.type_value),
    }
}

/// Numbers the kernel chose for this check (socket cookies, object ids),
/// and the names values show instead, so that reruns read the same.
#[derive(Debug, Default)]
pub struct Aliases(Vec<(u64, String)>);

impl Aliases {
    pub fn add(&mut self, n: u64, name: String) {
        self.0.push((n, name));
    }

    /// A value: by name when it is a cookie or id of this check's
    /// fixtures, else as [`number_or_hex`].
    pub fn value(&self, b: &[u8]) -> String {
        if b.len() <= 8 {
            let mut v = [0u8; 8];
            v[..b.len()].copy_from_slice(b);
            let n = u64::from_le_bytes(v);
            if let Some((_, name)) = self.0.iter().find(|(a, _)| *a == n) {
                return name.clone();
            }
        }
        number_or_hex(b)
    }

    /// A value in the shape the spec wrote it: a `u32s` value as its u32
    /// words, each by name when it is an id or cookie (an id in the upper
    /// half of a u64 would otherwise print as a number that changes with
    /// every run on a long-running host).
    pub fn value_like(&self, want: &Datum, b: &[u8]) -> String {
        match want {
            Datum::U32s { .. } if b.len().is_multiple_of(4) && b.len() > 4 => {
                let words: Vec<String> = b.chunks(4).map(|w| self.value(w)).collect();
                format!("[{}]", words.join(", "))
            }
            _ => self.value(b),
        }
    }
}
