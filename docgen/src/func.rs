//! A function as the Usage chapter prints it, and the headers that
//! declare them. Its own module so that the model can build the entries of
//! a spec's `api:` section without depending on the Usage chapter.

use serde::Serialize;

/// One function: a `~` heading, its prototype and a line on what it does.
#[derive(Debug, Clone, Serialize)]
pub struct Func {
    pub name: String,
    /// The declaration as the header has it (empty for a kfunc, which is
    /// printed in `text` instead, since no header can check it).
    pub prototype: String,
    /// Inline RST.
    pub text: String,
    /// The header that declares `prototype` (`#include <...>`).
    pub header: Option<&'static str>,
}

/// Where libbpf declares the BPF helpers (it includes bpf_helper_defs.h).
pub const HELPERS_H: &str = "bpf/bpf_helpers.h";

/// Where libbpf declares its ring and perf buffer consumers.
pub const LIBBPF_H: &str = "bpf/libbpf.h";

pub(crate) fn f(name: &str, prototype: &str, text: &str) -> Func {
    Func {
        name: format!("{name}()"),
        prototype: prototype.into(),
        text: text.into(),
        header: None,
    }
}

/// A kfunc: the program declares it itself (`__ksym`), so the page shows
/// its declaration inline instead of as a header-checked code block.
pub(crate) fn kfunc(name: &str, prototype: &str, text: &str) -> Func {
    f(
        name,
        "",
        &format!(
            "{text} A kfunc, which no system header declares: the program \
             declares it with ``__ksym`` as ``{prototype}``."
        ),
    )
}
