//! The claim's map as the steps see it, and how spec data becomes the
//! bytes of its keys and values.

use super::print;
use super::verdict::{error, Flow};
use mapspec_spec::{Datum, RunnerFacts};
use std::os::fd::OwnedFd;

/// The map a program created; closed on drop.
pub struct Map {
    pub fd: OwnedFd,
    pub key_size: usize,
    pub value_size: usize,
    pub max_entries: u32,
    pub percpu: bool,
    /// Possible CPUs: the number of slots of a per-CPU value.
    pub ncpu: usize,
    /// What the spec says the runner must know about the type's objects.
    pub facts: RunnerFacts,
}

impl Map {
    /// Bytes between two CPUs' slots of a per-CPU value.
    pub fn stride(&self) -> usize {
        self.value_size.div_ceil(8) * 8
    }

    /// Bytes of one value as userspace sees it.
    pub fn user_value_size(&self) -> usize {
        if self.percpu {
            self.stride() * self.ncpu
        } else {
            self.value_size
        }
    }

    /// Size of the value a program exchanges through its argument packet:
    /// the map's value_size, or a u64 for maps without values (ring
    /// buffers), whose programs pass records and counts there.
    pub fn arg_value_size(&self) -> usize {
        if self.value_size == 0 {
            8
        } else {
            self.value_size
        }
    }

    /// CPU `cpu`'s slot of a value of [`Map::user_value_size`] bytes.
    pub fn slot<'b>(&self, value: &'b [u8], cpu: usize) -> &'b [u8] {
        &value[cpu * self.stride()..cpu * self.stride() + self.value_size]
    }

    /// A key, or NULL for `None`.
    pub fn key(&self, d: Option<&Datum>) -> Flow<Option<Vec<u8>>> {
        d.map(|d| encode(d, self.key_size).map_err(|m| error(format!("key: {m}"))))
            .transpose()
    }

    /// A value as userspace passes it: on a per-CPU map, the same value in
    /// every CPU's slot.
    pub fn value(&self, d: &Datum) -> Flow<Vec<u8>> {
        let one = encode(d, self.value_size).map_err(|m| error(format!("value: {m}")))?;
        if !self.percpu {
            return Ok(one);
        }
        Ok(self.per_cpu(&vec![one; self.ncpu]))
    }

    /// A per-CPU value from one value per CPU, each already encoded.
    pub fn per_cpu(&self, slots: &[Vec<u8>]) -> Vec<u8> {
        let mut all = vec![0u8; self.user_value_size()];
        for (cpu, one) in slots.iter().enumerate() {
            all[cpu * self.stride()..cpu * self.stride() + self.value_size].copy_from_slice(one);
        }
        all
    }
}

/// The bytes of `d` in a field of `size` bytes.
pub fn encode(d: &Datum, size: usize) -> Result<Vec<u8>, String> {
    match d {
        Datum::Int(v) | Datum::Pattern { pattern: v } => {
            let mut b = v.to_le_bytes().to_vec();
            b.resize(size.max(8), 0);
            b.truncate(size);
            Ok(b)
        }
        Datum::Bytes(b) => {
            if b.len() != size {
                return Err(format!("{} bytes given for a {size}-byte field", b.len()));
            }
            Ok(b.clone())
        }
        Datum::Lpm { prefixlen, data } => {
            let mut b = prefixlen.to_le_bytes().to_vec();
            b.extend_from_slice(data);
            if b.len() != size {
                return Err(format!("LPM key of {} bytes for key_size {size}", b.len()));
            }
            Ok(b)
        }
        Datum::U32s { u32s } => {
            let mut b = Vec::with_capacity(u32s.len() * 4);
            for d in u32s {
                b.extend(encode(d, 4)?);
            }
            if b.len() > size {
                return Err(format!(
                    "{} 32-bit words do not fit a {size}-byte field",
                    u32s.len()
                ));
            }
            b.resize(size, 0);
            Ok(b)
        }
        // Resolved to integers (`resolve`) before any step runs.
        other => Err(format!(
            "{} was not resolved to a live object",
            print::datum(Some(other))
        )),
    }
}

/// As [`encode`], an error of the check when the data does not fit.
pub fn encoded(d: &Datum, size: usize) -> Flow<Vec<u8>> {
    encode(d, size).map_err(error)
}

/// `base + n * step` for each of `n` CPUs (integer values only).
pub fn per_cpu_values(base: &Datum, step: u64, n: usize) -> Flow<Vec<Datum>> {
    match base {
        Datum::Int(v) => Ok((0..n as u64).map(|c| Datum::Int(v + c * step)).collect()),
        other => Err(error(format!(
            "per_cpu_step needs an integer value, got {}",
            print::datum(Some(other))
        ))),
    }
}
