//! Standard output and error, the way Unix tools treat them.
//!
//! - A reader that goes away (`mapspec run | head -1`) ends mapspec at once
//!   and quietly, by SIGPIPE, as it ends `ls`: the shell reports 141, and a
//!   `set -o pipefail` script sees that the output was cut short.
//! - Any other write error (`> /dev/full`) is a message and exit 2.
//! - Text that comes from data (claim text, traces, diagnostics quoting a
//!   spec) is escaped before it reaches a terminal.
//!
//! `println!` panics on a write error; everything here writes through
//! [`out`] instead, and the panic hook turns a `println!` left elsewhere
//! into the same behaviour, without a backtrace.

use crate::exit;
use std::borrow::Cow;
use std::io::Write;

/// Write `s` to standard output, or end the process as described above.
pub fn out(s: &str) {
    let mut o = std::io::stdout().lock();
    if let Err(e) = o.write_all(s.as_bytes()) {
        stdout_failed(&e);
    }
}

/// `println!` that cannot panic.
macro_rules! outln {
    () => { $crate::output::out("\n") };
    ($($t:tt)*) => { $crate::output::out(&format!("{}\n", format_args!($($t)*))) };
}
pub(crate) use outln;

/// Flush standard output before exit: the last buffered bytes are where a
/// full disk shows.
pub fn flush() {
    if let Err(e) = std::io::stdout().lock().flush() {
        stdout_failed(&e);
    }
}

fn stdout_failed(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        die_of_sigpipe();
    }
    // Best effort: stderr may be just as broken.
    let _ = writeln!(
        std::io::stderr(),
        "mapspec: error: cannot write to standard output: {e}"
    );
    std::process::exit(exit::ENV.into())
}

/// Die the way a C program does when its reader is gone. Rust ignores
/// SIGPIPE (so that sockets report EPIPE); restore the default and raise it.
fn die_of_sigpipe() -> ! {
    // SAFETY: resetting a disposition and raising a signal at our own
    // process; nothing is held that unwinding would have released (the
    // runner writes between checks, when no fixture is alive).
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::raise(libc::SIGPIPE);
    }
    // SIGPIPE blocked by the parent: leave quietly all the same.
    std::process::exit(141)
}

/// Make a `println!`/`eprintln!` that failed to write behave like [`out`]
/// (no panic message, no backtrace); every other panic keeps the default
/// report.
pub fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if let Some(rest) = msg.strip_prefix("failed printing to stdout: ") {
            if rest.contains("os error 32") || rest.contains("Broken pipe") {
                die_of_sigpipe();
            }
            let _ = writeln!(
                std::io::stderr(),
                "mapspec: error: cannot write to standard output: {rest}"
            );
            std::process::exit(exit::ENV.into());
        }
        if msg.starts_with("failed printing to stderr") {
            // Nowhere left to say it.
            std::process::exit(exit::ENV.into());
        }
        default(info)
    }));
}

/// Escape what a terminal would act on: C0 and C1 control characters
/// (escape sequences, carriage returns, bells...), DEL, and the Unicode
/// bidirectional overrides that reorder what a reader sees. Keeps `\n`
/// when `keep_newlines` (multi-line diagnostics).
pub fn escape_with(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    let bad = |c: char| {
        (c.is_control() && !(keep_newlines && c == '\n'))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            match c {
                '\n' => o.push_str("\\n"),
                '\r' => o.push_str("\\r"),
                '\t' => o.push_str("\\t"),
                c => o.push_str(&format!("\\u{{{:x}}}", c as u32)),
            }
        } else {
            o.push(c);
        }
    }
    Cow::Owned(o)
}

/// [`escape_with`] for one-line fields: newlines are escaped too.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_with(s, false)
}

/// `1 claim`, `2 claims`.
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls() {
        assert_eq!(escape("plain text"), "plain text");
        assert_eq!(escape("a\x1b[2Jb\rc\n"), "a\\u{1b}[2Jb\\rc\\n");
        assert_eq!(escape("\u{7f}\u{9b}"), "\\u{7f}\\u{9b}");
        assert_eq!(escape("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(escape_with("one\ntwo\x07", true), "one\ntwo\\u{7}");
    }

    #[test]
    fn plurals() {
        assert_eq!(count(1u32, "error", "errors"), "1 error");
        assert_eq!(count(0u32, "error", "errors"), "0 errors");
        assert_eq!(count(2u64, "spec", "specs"), "2 specs");
    }
}
