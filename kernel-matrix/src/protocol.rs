//! What the host and the guest agree on: the kernel command line that makes
//! the shared `mapspec` binary a guest, the marker that proves it runs in
//! one, the exit values of isa-debug-exit, the console lines the guest
//! prints, and the framing of the report on ttyS1. Both `guest` and `qemu`
//! import this module and not each other.

use mapspec_spec::results::RunReport;
use sha2::{Digest, Sha256};

/// Frames the report on ttyS1, so that anything else on the line (a
/// stray kernel message, line noise) cannot corrupt what is parsed.
pub const BEGIN: &str = "MAPSPEC-RESULTS-BEGIN";
pub const END: &str = "MAPSPEC-RESULTS-END";

/// Values the guest writes to isa-debug-exit; qemu then exits with
/// `(value << 1) | 1`. Chosen away from 0 so that they cannot be confused
/// with qemu's own exit status 1 (startup errors).
pub const GUEST_OK: u8 = 0x10;
pub const GUEST_CLAIMS_FAILED: u8 = 0x11;
pub const GUEST_ERROR: u8 = 0x12;

pub fn qemu_exit_code(guest_value: u8) -> i32 {
    ((guest_value as i32) << 1) | 1
}

/// Everything after `--` on the kernel command line becomes init's argv,
/// which is how the shared `mapspec` binary knows it is the guest.
pub const GUEST_ARGS: &str = "matrix __guest";

/// Only the matrix's qemu command line carries this parameter; the guest
/// entry point refuses to do anything (power off, I/O ports) unless it
/// finds it in /proc/cmdline and runs as PID 1. The dot makes the kernel
/// take it for a parameter of a module it does not have: it is ignored
/// silently and not passed to init as an environment variable.
pub const GUEST_MARKER: &str = "mapspec.guest=matrix";

/// Whether a kernel command line (/proc/cmdline) is a matrix guest's: the
/// marker is a whole parameter before the `--` that starts init's argv.
pub fn has_guest_marker(cmdline: &str) -> bool {
    cmdline
        .split_whitespace()
        .take_while(|w| *w != "--")
        .any(|w| w == GUEST_MARKER)
}

/// What every line the guest runner prints starts with.
pub const SAY_PREFIX: &str = "mapspec-guest:";
/// Marks a guest-side failure on the console, for the host to quote.
pub const ERROR_PREFIX: &str = "mapspec-guest: error:";
/// Starts the line the guest prints before each claim, so that a panic's
/// console log names the claim in flight. Kept to two bytes: the suite
/// prints some 1300 of these lines through an emulated UART.
pub const CLAIM_PREFIX: &str = "@ ";

/// The line announcing a claim (without the newline).
pub fn claim_line(claim: &str) -> String {
    format!("{CLAIM_PREFIX}{claim}")
}

/// The last claim the guest announced on the console before the first
/// kernel panic (or before the end, if there is none): the claim in flight
/// when the kernel died. None when the suite had not started.
pub fn claim_in_flight(console: &str) -> Option<String> {
    let mut last = None;
    for line in console.lines() {
        if line.contains("Kernel panic") {
            break;
        }
        if let Some(rest) = line.trim_end_matches('\r').strip_prefix(CLAIM_PREFIX) {
            // A kernel message may land in the middle of the line.
            if let Some(id) = rest.split_whitespace().next() {
                last = Some(id.to_string());
            }
        }
    }
    last
}

/// The first `Kernel panic - ...` line of a console log, from those words
/// on (without the timestamp).
pub fn panic_line(console: &str) -> Option<String> {
    console.lines().find_map(|l| {
        l.find("Kernel panic")
            .map(|i| l[i..].trim_end_matches('\r').trim().to_string())
    })
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Frame a report for the wire: header with length and sha256, the JSON
/// gzip-compressed, and an end marker. The emulated UART moves a few tens
/// of KB/s under TCG, so compression makes most of a guest's run time
/// disappear (600 KB of JSON shrink to about 30 KB). The default level, not
/// the best: on a report of 1410 claims the best level took twice as long
/// for 2.5% fewer bytes, and the guest compresses at TCG speed.
pub fn frame(json: &str) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = gz.write_all(json.as_bytes());
    let body = gz.finish().unwrap_or_default();
    let mut out = format!("\n{BEGIN} {} {}\n", body.len(), sha256_hex(&body)).into_bytes();
    out.extend_from_slice(&body);
    out.extend_from_slice(format!("\n{END}\n").as_bytes());
    out
}

/// Find and check the framed report in what came out of ttyS1.
pub fn unframe(raw: &[u8]) -> Result<RunReport, String> {
    let marker = BEGIN.as_bytes();
    let start = raw
        .windows(marker.len())
        .rposition(|w| w == marker)
        .ok_or_else(|| "the guest wrote no results".to_string())?;
    let rest = &raw[start + marker.len()..];
    let nl = rest
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("the results header is cut off")?;
    let header = String::from_utf8_lossy(&rest[..nl]);
    let mut parts = header.split_whitespace();
    let len: usize = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("the results header has no length")?;
    let sha = parts.next().ok_or("the results header has no checksum")?;
    let body = rest.get(nl + 1..nl + 1 + len).ok_or_else(|| {
        format!(
            "the results are cut off ({} of {len} bytes)",
            rest.len() - nl - 1
        )
    })?;
    if sha256_hex(body) != sha {
        return Err("the results were corrupted on the serial line (checksum mismatch)".into());
    }
    let after = String::from_utf8_lossy(&rest[nl + 1 + len..]);
    if !after.trim_start().starts_with(END) {
        return Err("the results lack their end marker".into());
    }
    let mut json = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(body), &mut json)
        .map_err(|e| format!("the results do not decompress: {e}"))?;
    serde_json::from_slice(&json).map_err(|e| format!("the results are not a mapspec report: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_counts_only_as_a_kernel_parameter() {
        let append = crate::qemu::default_append();
        assert!(has_guest_marker(&append), "{append}");
        assert!(has_guest_marker(&format!("BOOT_IMAGE=/x ro {append}")));
        // A host's command line, and the marker smuggled into init's argv
        // or into another parameter, do not count.
        assert!(!has_guest_marker(
            "BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro quiet"
        ));
        assert!(!has_guest_marker("quiet -- mapspec.guest=matrix"));
        assert!(!has_guest_marker("x=mapspec.guest=matrix"));
        assert!(!has_guest_marker(""));
    }

    #[test]
    fn claim_in_flight_is_the_last_announced_before_the_panic() {
        let console = format!(
            "[    1.0] booting\r\n{}\r\n{}\r\n[    9.1] BUG: unable to handle page fault\r\n\
             [    9.2] Kernel panic - not syncing: Fatal exception in interrupt\r\n{}\r\n",
            claim_line("hash/noexist-present"),
            claim_line("lru_hash/evicts"),
            // Anything after the panic line is not the claim in flight.
            claim_line("later/claim"),
        );
        assert_eq!(
            claim_in_flight(&console).as_deref(),
            Some("lru_hash/evicts")
        );
        assert_eq!(claim_in_flight("[ 1.0] Kernel panic - VFS\n"), None);
        // A kernel message appended to the line does not become the id.
        let mixed = format!("{} [ 3.3] random: crng init done\n", claim_line("array/x"));
        assert_eq!(claim_in_flight(&mixed).as_deref(), Some("array/x"));
    }
}
