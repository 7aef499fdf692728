//! BTF: reading the running kernel's (`/sys/kernel/btf/vmlinux`), and
//! building the small objects that the spec's BTF recipes name for
//! BPF_MAP_CREATE (spin-locked values, local storage, struct_ops).
//!
//! The kernel's view of `enum bpf_map_type` is what the completeness test
//! compares with the set of specs, on this machine and in every matrix guest.

use mapspec_spec::Outcome;
use std::ffi::{CStr, CString};
use std::os::fd::RawFd;

/// Where the kernel publishes its own BTF.
pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// One enumerator of `enum bpf_map_type` as the kernel knows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct KernelMapType {
    /// The enumerator name, as a spec's `map_type` spells it. Aliases (the
    /// `..._DEPRECATED` name of cgroup storage) appear as separate entries
    /// with the same value.
    pub name: String,
    pub value: u32,
}

/// Parsed vmlinux BTF; freed on drop.
pub struct VmlinuxBtf {
    raw: *mut libbpf_sys::btf,
}

impl Drop for VmlinuxBtf {
    fn drop(&mut self) {
        // SAFETY: raw came from btf__parse and is freed once.
        unsafe { libbpf_sys::btf__free(self.raw) };
    }
}

fn cs(s: &str) -> CString {
    CString::new(s).unwrap_or_default()
}

impl VmlinuxBtf {
    /// Parse `path` (normally [`VMLINUX_BTF`]).
    pub fn open(path: &str) -> Result<VmlinuxBtf, String> {
        // SAFETY: a NUL-terminated path; NULL btf_ext is allowed.
        let raw = unsafe { libbpf_sys::btf__parse(cs(path).as_ptr(), std::ptr::null_mut()) };
        if raw.is_null() {
            return Err(format!(
                "cannot parse BTF from {path}: {}",
                std::io::Error::last_os_error()
            ));
        }
        Ok(VmlinuxBtf { raw })
    }

    /// The id of the named type of `kind` (a `BTF_KIND_*`), if present.
    pub fn find(&self, name: &str, kind: u32) -> Option<u32> {
        // SAFETY: raw is a valid btf; name is NUL-terminated.
        let id = unsafe { libbpf_sys::btf__find_by_name_kind(self.raw, cs(name).as_ptr(), kind) };
        (id > 0).then_some(id as u32)
    }

    /// The size in bytes of type `id`.
    pub fn size_of(&self, id: u32) -> Option<u32> {
        // SAFETY: raw is a valid btf; libbpf checks the id.
        let s = unsafe { libbpf_sys::btf__resolve_size(self.raw, id) };
        (s >= 0).then_some(s as u32)
    }

    fn name(&self, off: u32) -> String {
        // SAFETY: libbpf returns a pointer into the BTF string section or NULL.
        unsafe {
            let p = libbpf_sys::btf__name_by_offset(self.raw, off);
            if p.is_null() {
                String::new()
            } else {
                CStr::from_ptr(p).to_string_lossy().into_owned()
            }
        }
    }

    /// Every enumerator of the enum named `name` (BTF_KIND_ENUM or ENUM64).
    pub fn enum_values(&self, name: &str) -> Option<Vec<(String, u64)>> {
        let (id, wide) = match self.find(name, libbpf_sys::BTF_KIND_ENUM) {
            Some(id) => (id, false),
            None => (self.find(name, libbpf_sys::BTF_KIND_ENUM64)?, true),
        };
        let mut out = Vec::new();
        // SAFETY: id is a valid ENUM/ENUM64 type of this btf; its `vlen`
        // btf_enum/btf_enum64 records follow the btf_type header in memory.
        unsafe {
            let t = libbpf_sys::btf__type_by_id(self.raw, id);
            if t.is_null() {
                return None;
            }
            let vlen = (*t).info & 0xffff;
            if wide {
                let e = t.add(1) as *const libbpf_sys::btf_enum64;
                for i in 0..vlen as usize {
                    let r = *e.add(i);
                    let v = (r.val_hi32 as u64) << 32 | r.val_lo32 as u64;
                    out.push((self.name(r.name_off), v));
                }
            } else {
                let e = t.add(1) as *const libbpf_sys::btf_enum;
                for i in 0..vlen as usize {
                    let r = *e.add(i);
                    out.push((self.name(r.name_off), r.val as u32 as u64));
                }
            }
        }
        Some(out)
    }
}

/// The map types the running kernel knows, from `enum bpf_map_type` in
/// its BTF: every enumerator except UNSPEC (value 0) and the
/// `__MAX_BPF_MAP_TYPE` sentinel.
pub fn kernel_map_types() -> Result<Vec<KernelMapType>, String> {
    map_types_from(VMLINUX_BTF)
}

/// As [`kernel_map_types`], from the BTF file at `path`.
pub fn map_types_from(path: &str) -> Result<Vec<KernelMapType>, String> {
    let btf = VmlinuxBtf::open(path)?;
    let values = btf
        .enum_values("bpf_map_type")
        .ok_or_else(|| format!("{path} has no `enum bpf_map_type`"))?;
    let mut out: Vec<KernelMapType> = values
        .into_iter()
        .filter(|(n, v)| *v != 0 && !n.starts_with("__"))
        .map(|(name, v)| KernelMapType {
            name,
            value: v as u32,
        })
        .collect();
    out.sort_by(|a, b| (a.value, &a.name).cmp(&(b.value, &b.name)));
    Ok(out)
}

/// Disagreements between the kernel's map types and a set of specs, given
/// as `(map_type, type_value)` pairs. Empty when every kernel type has a
/// spec and every spec's value matches the kernel's.
pub fn compare_with_specs(kernel: &[KernelMapType], specs: &[(String, u32)]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut values: Vec<u32> = kernel.iter().map(|k| k.value).collect();
    values.dedup();
    for v in values {
        let names: Vec<&str> = kernel
            .iter()
            .filter(|k| k.value == v)
            .map(|k| k.name.as_str())
            .collect();
        if !specs.iter().any(|(_, sv)| *sv == v) {
            problems.push(format!(
                "the kernel knows {} = {v}, but no spec has type_value {v}",
                names.join(" / ")
            ));
        }
    }
    for (name, sv) in specs {
        if let Some(k) = kernel.iter().find(|k| &k.name == name) {
            if k.value != *sv {
                problems.push(format!(
                    "{name}: the spec says type_value {sv}, the kernel's BTF says {}",
                    k.value
                ));
            }
        } else if let Some(k) = kernel.iter().find(|k| k.value == *sv) {
            problems.push(format!(
                "{name} (type_value {sv}): the kernel calls value {sv} {}",
                k.name
            ));
        }
    }
    problems
}

/// The id and size of a struct in vmlinux BTF, for `btf_vmlinux_value_type_id`.
/// Remembered per name: parsing vmlinux BTF takes milliseconds, and the
/// running kernel's BTF does not change.
pub fn vmlinux_struct(name: &str) -> Result<(u32, u32), String> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Cache = Mutex<HashMap<String, Result<(u32, u32), String>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(r) = cache.lock().map_err(|e| e.to_string())?.get(name) {
        return r.clone();
    }
    let r = vmlinux_struct_uncached(name);
    if let Ok(mut c) = cache.lock() {
        c.insert(name.to_string(), r.clone());
    }
    r
}

fn vmlinux_struct_uncached(name: &str) -> Result<(u32, u32), String> {
    let btf = VmlinuxBtf::open(VMLINUX_BTF)?;
    let id = btf
        .find(name, libbpf_sys::BTF_KIND_STRUCT)
        .ok_or_else(|| format!("vmlinux BTF has no struct {name}"))?;
    let size = btf
        .size_of(id)
        .ok_or_else(|| format!("cannot size struct {name} in vmlinux BTF"))?;
    Ok((id, size))
}

/// A BTF object loaded into the kernel; freed (and its fd closed) on drop.
pub struct Btf {
    raw: *mut libbpf_sys::btf,
}

impl Drop for Btf {
    fn drop(&mut self) {
        // SAFETY: raw came from btf__new_empty and is freed once.
        unsafe { libbpf_sys::btf__free(self.raw) };
    }
}

/// Type ids the caller passes to BPF_MAP_CREATE.
pub struct LoadedBtf {
    pub btf: Btf,
    pub key_type_id: u32,
    pub value_type_id: u32,
}

impl Btf {
    pub fn fd(&self) -> RawFd {
        // SAFETY: raw is valid for the lifetime of self.
        unsafe { libbpf_sys::btf__fd(self.raw) }
    }
}

/// BTF for a value of `value_size` bytes that starts with a
/// `struct bpf_spin_lock` and continues with u64 words, and an int key.
pub fn spin_lock_value_btf(key_size: u32, value_size: u32) -> Result<LoadedBtf, String> {
    if value_size < 8 || !value_size.is_multiple_of(8) {
        return Err(format!(
            "spin_lock_value needs a value_size that is a multiple of 8, got {value_size}"
        ));
    }
    // SAFETY: every call below operates on the btf we created and check.
    unsafe {
        let raw = libbpf_sys::btf__new_empty();
        if raw.is_null() {
            return Err("btf__new_empty failed".into());
        }
        let btf = Btf { raw };
        let u32_id = libbpf_sys::btf__add_int(raw, cs("unsigned int").as_ptr(), 4, 0);
        let u64_id = libbpf_sys::btf__add_int(raw, cs("long long unsigned int").as_ptr(), 8, 0);
        let key_id = match key_size {
            4 => u32_id,
            8 => u64_id,
            n => return Err(format!("spin_lock_value supports key_size 4 or 8, got {n}")),
        };
        let lock_id = libbpf_sys::btf__add_struct(raw, cs("bpf_spin_lock").as_ptr(), 4);
        libbpf_sys::btf__add_field(raw, cs("val").as_ptr(), u32_id, 0, 0);
        let words = (value_size - 8) / 8;
        let arr_id = if words > 0 {
            libbpf_sys::btf__add_array(raw, u32_id, u64_id, words)
        } else {
            0
        };
        let val_id = libbpf_sys::btf__add_struct(raw, cs("locked_value").as_ptr(), value_size);
        libbpf_sys::btf__add_field(raw, cs("lock").as_ptr(), lock_id, 0, 0);
        if words > 0 {
            libbpf_sys::btf__add_field(raw, cs("data").as_ptr(), arr_id, 64, 0);
        }
        if u32_id < 0 || u64_id < 0 || lock_id < 0 || arr_id < 0 || val_id < 0 {
            return Err("building BTF types failed".into());
        }
        let r = libbpf_sys::btf__load_into_kernel(raw);
        if r < 0 {
            return Err(format!("BTF_LOAD failed: {}", Outcome::from_ret(r)));
        }
        Ok(LoadedBtf {
            btf,
            key_type_id: key_id as u32,
            value_type_id: val_id as u32,
        })
    }
}

/// Which key and value type ids a recipe passes to BPF_MAP_CREATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Describe {
    /// Key and value ids.
    KeyAndValue,
    /// Only the key id (the kernel refuses a key without a value).
    KeyOnly,
    /// Only the BTF fd, no type ids (struct_ops: the value type is in vmlinux).
    FdOnly,
}

/// A BTF object describing a key of `key_bits`-bit int and a value of
/// `unsigned char[value_size]`, loaded into the kernel.
pub fn int_key_btf(
    key_bits: u32,
    value_size: u32,
    describe: Describe,
) -> Result<LoadedBtf, String> {
    // SAFETY: every call below operates on the btf we created and check.
    unsafe {
        let raw = libbpf_sys::btf__new_empty();
        if raw.is_null() {
            return Err("btf__new_empty failed".into());
        }
        let btf = Btf { raw };
        let key_id = libbpf_sys::btf__add_int(
            raw,
            cs(if key_bits == 64 { "long long" } else { "int" }).as_ptr(),
            (key_bits / 8) as _,
            libbpf_sys::BTF_INT_SIGNED as _,
        );
        let u8_id = libbpf_sys::btf__add_int(raw, cs("unsigned char").as_ptr(), 1, 0);
        let val_id = if value_size > 0 {
            libbpf_sys::btf__add_array(raw, key_id, u8_id, value_size)
        } else {
            u8_id
        };
        if key_id < 0 || u8_id < 0 || val_id < 0 {
            return Err("building BTF types failed".into());
        }
        let r = libbpf_sys::btf__load_into_kernel(raw);
        if r < 0 {
            return Err(format!("BTF_LOAD failed: {}", Outcome::from_ret(r)));
        }
        let (k, v) = match describe {
            Describe::KeyAndValue => (key_id as u32, val_id as u32),
            Describe::KeyOnly => (key_id as u32, 0),
            Describe::FdOnly => (0, 0),
        };
        Ok(LoadedBtf {
            btf,
            key_type_id: k,
            value_type_id: v,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(name: &str, value: u32) -> KernelMapType {
        KernelMapType {
            name: name.into(),
            value,
        }
    }

    #[test]
    fn comparison_reports_missing_and_wrong_values() {
        let kernel = vec![
            k("BPF_MAP_TYPE_HASH", 1),
            k("BPF_MAP_TYPE_CGROUP_STORAGE", 19),
            k("BPF_MAP_TYPE_CGROUP_STORAGE_DEPRECATED", 19),
            k("BPF_MAP_TYPE_ARENA", 33),
        ];
        let specs = vec![
            ("BPF_MAP_TYPE_HASH".to_string(), 1),
            ("BPF_MAP_TYPE_CGROUP_STORAGE".to_string(), 19),
        ];
        let p = compare_with_specs(&kernel, &specs);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("BPF_MAP_TYPE_ARENA = 33"));
        let wrong = vec![
            ("BPF_MAP_TYPE_HASH".to_string(), 2),
            ("BPF_MAP_TYPE_CGROUP_STORAGE".to_string(), 19),
            ("BPF_MAP_TYPE_ARENA".to_string(), 33),
        ];
        let p = compare_with_specs(&kernel, &wrong);
        assert!(p.iter().any(|s| s.contains("says type_value 2")), "{p:?}");
        assert!(
            p.iter().any(|s| s.contains("BPF_MAP_TYPE_HASH = 1")),
            "{p:?}"
        );
    }
}
