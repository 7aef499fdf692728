//! Low-level reStructuredText building blocks: escaping, inline markup
//! joining, paragraph wrapping, headings and list tables.
//!
//! Inline text is assembled from [`Piece`]s so that the rules docutils
//! applies to inline markup boundaries are handled in one place.

use mapspec_spec::Errno;

/// Width generated paragraphs are wrapped to, like the kernel's own pages.
pub const WRAP: usize = 78;

/// Stands for a space that must not become a line break (inside a literal,
/// a link, or an escaped boundary); replaced by a space after wrapping.
pub const NBSP: char = '\u{0}';

/// One piece of inline text.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Plain text, escaped on output.
    Plain(String),
    /// Already-formed inline markup (``literal``, *emphasis*, `link`_).
    Markup(String),
}

/// Characters that may precede an inline markup start-string.
fn ok_before_start(c: char) -> bool {
    c.is_whitespace() || "-:/'\"<([{".contains(c) || c == NBSP
}

/// Characters that may follow an inline markup end-string.
fn ok_after_end(c: char) -> bool {
    c.is_whitespace() || "-.,:;!?\\/'\")]}>".contains(c) || c == NBSP
}

/// Escape plain text so docutils reads it back unchanged.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\\' | '*' | '`' | '|' => {
                out.push('\\');
                out.push(c);
            }
            // `name_` is a reference; an underscore inside a word is not.
            '_' if !chars
                .get(i + 1)
                .is_some_and(|n| n.is_alphanumeric() || *n == '_') =>
            {
                out.push_str("\\_");
            }
            _ => out.push(c),
        }
    }
    out
}

/// ``text`` as an inline literal, with spaces kept unbreakable.
pub fn literal(text: &str) -> String {
    format!("``{}``", text.replace(' ', &NBSP.to_string()))
}

/// Join pieces, inserting the escaped space docutils needs where markup
/// touches a word character.
pub fn join(pieces: &[Piece]) -> String {
    let mut out = String::new();
    let mut prev_markup = false;
    for p in pieces {
        match p {
            Piece::Plain(t) => {
                if t.is_empty() {
                    continue;
                }
                let e = escape(t);
                if prev_markup && !e.starts_with(ok_after_end) {
                    out.push('\\');
                    out.push(NBSP);
                }
                out.push_str(&e);
                prev_markup = false;
            }
            Piece::Markup(m) => {
                let needs = if prev_markup {
                    true
                } else {
                    out.chars().last().is_some_and(|c| !ok_before_start(c))
                };
                if needs {
                    out.push('\\');
                    out.push(NBSP);
                }
                out.push_str(m);
                prev_markup = true;
            }
        }
    }
    out
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Should this word be shown as a literal? uapi constants
/// (`BPF_F_NO_PREALLOC`), errno names, C identifiers with an underscore
/// (`max_entries`) and function calls (`mmap()`) are.
fn is_code_word(word: &str, call: bool) -> bool {
    // Calls may start with underscores (`__sync_fetch_and_add()`).
    let first = if call {
        word.trim_start_matches('_').chars().next()
    } else {
        word.chars().next()
    };
    if !first.is_some_and(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    if call {
        return true;
    }
    if Errno::from_name(word).is_some() {
        return true;
    }
    let has_us = word.contains('_') && !word.starts_with('_') && !word.ends_with('_');
    let upper = word
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    let lower = word
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    has_us && (upper || lower)
}

/// The length of `(...)` at the start of `s` when it closes on the same
/// text, holds no backquote, and is short enough to be code.
fn call_args(s: &str) -> Option<usize> {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return (i < 60).then_some(i + 1);
                }
            }
            '`' | '\n' => return None,
            _ => {}
        }
    }
    None
}

/// Split plain prose into pieces, turning code-like words into literals so
/// that constants are always set the way the kernel's pages set them.
pub fn auto_literal(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(is_ident_char) {
        let (before, tail) = rest.split_at(start);
        plain.push_str(before);
        let end = tail.find(|c| !is_ident_char(c)).unwrap_or(tail.len());
        let word = &tail[..end];
        // A call with arguments, `round_up(value_size, 8)`: the whole
        // expression up to its balanced closing parenthesis.
        let args = if tail[end..].starts_with('(') && !tail[end..].starts_with("()") {
            call_args(&tail[end..])
        } else {
            None
        };
        let call = tail[end..].starts_with("()");
        // A word glued to a preceding letter-ish char (e.g. "x-BPF_ANY")
        // stays plain: markup there would need escapes for no gain.
        let glued = plain.chars().last().is_some_and(|c| c == '.' || c == '@');
        if let Some(n) =
            args.filter(|_| !glued && word.starts_with(|c: char| c.is_ascii_lowercase()))
        {
            if !plain.is_empty() {
                pieces.push(Piece::Plain(std::mem::take(&mut plain)));
            }
            pieces.push(Piece::Markup(literal(&tail[..end + n])));
            rest = &tail[end + n..];
        } else if !glued && is_code_word(word, call) {
            if !plain.is_empty() {
                pieces.push(Piece::Plain(std::mem::take(&mut plain)));
            }
            let w = if call {
                format!("{word}()")
            } else {
                word.into()
            };
            pieces.push(Piece::Markup(literal(&w)));
            rest = &tail[end + if call { 2 } else { 0 }..];
        } else {
            plain.push_str(word);
            rest = &tail[end..];
        }
    }
    plain.push_str(rest);
    if !plain.is_empty() {
        pieces.push(Piece::Plain(plain));
    }
    pieces
}

/// Inline RST for plain prose (claim texts, table cells), with literals.
pub fn prose(text: &str) -> String {
    join(&auto_literal(text))
}

/// Would docutils read a paragraph starting with `line` as something else
/// (a list, a comment, a field list, a line block...)?
fn starts_block_construct(line: &str) -> bool {
    let bullet = ["- ", "* ", "+ ", "\u{2022} "];
    if bullet.iter().any(|b| line.starts_with(b)) || matches!(line, "-" | "*" | "+") {
        return true;
    }
    if line.starts_with(".. ")
        || line.starts_with("| ")
        || line.starts_with(">>>")
        || line.starts_with("::")
    {
        return true;
    }
    if line.starts_with(':') && line[1..].contains(':') {
        return true;
    }
    if line.starts_with('-')
        && line[1..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-')
    {
        return true;
    }
    let enumerator = |s: &str| {
        !s.is_empty()
            && (s == "#"
                || s.chars().all(|c| c.is_ascii_digit())
                || (s.len() == 1 && s.chars().all(|c| c.is_ascii_alphabetic()))
                || s.chars().all(|c| "ivxlcdmIVXLCDM".contains(c)))
    };
    let word = line.split([' ', NBSP]).next().unwrap_or("");
    if let Some(e) = word.strip_suffix(['.', ')']) {
        let e = e.strip_prefix('(').unwrap_or(e);
        if enumerator(e) {
            return true;
        }
    }
    false
}

/// Wrap inline RST to `width` columns, each line prefixed with `indent`
/// (the first with `first`, e.g. a bullet). Never breaks inside markup.
pub fn wrap(text: &str, first: &str, indent: &str) -> String {
    let mut text = text.trim().to_string();
    if starts_block_construct(&text) {
        text.insert(0, '\\');
    }
    let mut out = String::new();
    let mut line = String::from(first);
    let mut line_has_word = false;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let wlen = word.chars().count();
        if line_has_word && line.chars().count() + 1 + wlen > WRAP {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(indent);
            line_has_word = false;
        }
        if line_has_word {
            line.push(' ');
        }
        line.push_str(word);
        line_has_word = true;
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out.replace(NBSP, " ")
}

/// Prefix every non-empty line with `indent`.
pub fn indent(text: &str, indent: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for l in text.lines() {
        if !l.is_empty() {
            out.push_str(indent);
            out.push_str(l);
        }
        out.push('\n');
    }
    out
}

/// A heading: `over` draws the line above too (the document title).
pub fn heading(text: &str, ch: char, over: bool) -> String {
    let line: String = std::iter::repeat_n(ch, text.chars().count()).collect();
    if over {
        format!("{line}\n{text}\n{line}\n")
    } else {
        format!("{text}\n{line}\n")
    }
}

/// A table as a `.. list-table::` with one header row. Cells are inline
/// RST, each wrapped on its own lines, so no column is padded to its
/// widest cell (a simple table's padding was a tenth of the pages) and no
/// line grows with the table. An empty cell is an empty item (`-`): the
/// tables leave a label blank where it repeats the row above.
pub fn list_table(header: &[String], rows: &[Vec<String>]) -> String {
    let ncol = header.len();
    let mut out = String::from(".. list-table::\n   :header-rows: 1\n\n");
    for r in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        for i in 0..ncol {
            let cell = r.get(i).map(String::as_str).unwrap_or("");
            let first = if i == 0 { "   * - " } else { "     - " };
            out.push_str(&wrap(cell, first, "       "));
        }
    }
    out
}

/// A figure of the kernel tree's Documentation/bpf, by the kernel's Sphinx
/// extension (kfigure, which draws a `.dot` file with Graphviz). `file`
/// and `alt` are one line (spec lint holds them to that); the caption is
/// prose.
pub fn kernel_figure(file: &str, alt: &str, caption: &str) -> String {
    format!(
        ".. kernel-figure:: {file}\n{}\n{}",
        wrap(alt, "   :alt: ", "      "),
        wrap(&prose(caption), "   ", "   ")
    )
}

/// A `DOC:` section of a kernel source file, by the kernel's kernel-doc
/// extension; `source` is relative to the top of the tree.
pub fn kernel_doc(source: &str, doc: &str) -> String {
    format!(".. kernel-doc:: {source}\n   :doc: {doc}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_become_literals() {
        assert_eq!(
            prose("BPF_NOEXIST on a present key fails with EEXIST."),
            "``BPF_NOEXIST`` on a present key fails with ``EEXIST``."
        );
        assert_eq!(prose("mmap() of a map"), "``mmap()`` of a map");
        assert_eq!(prose("A key_size of 0"), "A ``key_size`` of 0");
        assert_eq!(prose("Plain words stay."), "Plain words stay.");
        assert_eq!(
            prose("in round_up(value_size, 8) bytes").replace(NBSP, " "),
            "in ``round_up(value_size, 8)`` bytes"
        );
        assert_eq!(prose("see bpf(2)."), "see ``bpf(2)``.");
        assert_eq!(prose("Linux (the kernel)"), "Linux (the kernel)");
    }

    #[test]
    fn markup_next_to_words_is_separated() {
        let s = join(&[
            Piece::Plain("a".into()),
            Piece::Markup("``x``".into()),
            Piece::Plain("s".into()),
        ]);
        assert_eq!(s.replace(NBSP, " "), "a\\ ``x``\\ s");
    }

    #[test]
    fn escapes_markup_characters() {
        assert_eq!(
            escape("a*b `c` |d| ref_ x_y"),
            "a\\*b \\`c\\` \\|d\\| ref\\_ x_y"
        );
    }

    #[test]
    fn paragraphs_that_look_like_lists_are_escaped() {
        assert_eq!(wrap("1. not a list", "", ""), "\\1. not a list\n");
        assert_eq!(wrap("A. Einstein", "", ""), "\\A. Einstein\n");
        assert_eq!(wrap("Normal text.", "", ""), "Normal text.\n");
    }

    #[test]
    fn wrapping_keeps_literals_whole() {
        let long = format!("{} {}", "word ".repeat(14), literal("struct bpf_spin_lock"));
        let w = wrap(&long, "", "");
        assert!(w.contains("``struct bpf_spin_lock``"), "{w}");
        assert!(w.lines().all(|l| l.chars().count() <= WRAP));
    }

    #[test]
    fn list_tables_leave_empty_cells_and_wrap_long_ones() {
        let header = vec!["Command".to_string(), "Result".to_string()];
        let long = format!("{} {}", "word ".repeat(16), literal("a b"));
        let rows = vec![
            vec!["``X``".to_string(), "1. first".to_string()],
            vec![String::new(), long],
        ];
        let t = list_table(&header, &rows);
        assert!(
            t.starts_with(".. list-table::\n   :header-rows: 1\n\n   * - Command\n     - Result\n"),
            "{t}"
        );
        // A cell that would read as a list is escaped; an empty one is `-`.
        assert!(t.contains("     - \\1. first\n   * -\n     - word"), "{t}");
        assert!(t.contains("``a b``\n"), "{t}");
        assert!(
            t.lines()
                .all(|l| l.chars().count() <= WRAP && !l.ends_with(' ')),
            "{t}"
        );
        // The long cell goes on over an indented line, not a new item.
        let next = t.lines().nth(9).unwrap_or("");
        assert!(next.starts_with("       word"), "{t}");
    }

    #[test]
    fn kernel_directives() {
        assert_eq!(
            kernel_doc("kernel/bpf/cpumap.c", "cpu map"),
            ".. kernel-doc:: kernel/bpf/cpumap.c\n   :doc: cpu map\n"
        );
        assert_eq!(
            kernel_figure("f.dot", "Steps of an update", "Each step of BPF_ANY."),
            ".. kernel-figure:: f.dot\n   :alt: Steps of an update\n\n   Each step of ``BPF_ANY``.\n"
        );
    }
}
