//! The Markdown → RST walker: snapshots of what it renders, and errors for
//! everything it cannot render (never silently dropped text).

use mapspec_docgen::markdown::{inline_to_rst, to_rst};

fn rendered(md: &str) -> String {
    let r = to_rst(md).unwrap_or_else(|e| panic!("{md:?}: {e}"));
    let mut out = r.text;
    for t in r.targets {
        out.push_str(&format!("[target] {} -> {}\n", t.name, t.url));
    }
    out
}

#[test]
fn walker_paragraphs_and_inline_markup() {
    insta::assert_snapshot!(rendered(
        "A `BPF_MAP_TYPE_HASH` stores *fixed-size* keys and **values**; \
         BPF_F_NO_PREALLOC and max_entries become literals, and so does mmap().\n\
         A second line of the same paragraph, with a [link to the man page](https://man7.org/linux/man-pages/man2/bpf.2.html) and \
         [the BPF docs](https://docs.kernel.org/bpf/).\n\n\
         Characters RST reserves: a*b, |x|, `tick`s, trailing_ underscores and back\\\\slash.\n"
    ));
}

#[test]
fn walker_lists() {
    insta::assert_snapshot!(rendered(
        "Bullets:\n\n- one `a`\n- two\n  continued\n- three\n\nNumbers:\n\n1. first\n2. second\n\n   with a second paragraph\n3. third\n\n- outer\n  - inner one\n  - inner two\n"
    ));
}

#[test]
fn walker_code_blocks() {
    insta::assert_snapshot!(rendered(
        "Before.\n\n```c\nint fd = bpf_map_create(BPF_MAP_TYPE_HASH, NULL, 4, 8, 16, NULL);\n\nif (fd < 0)\n\treturn fd;\n```\n\n- in a list:\n\n  ```sh\n  bpftool map show\n  ```\n"
    ));
}

#[test]
fn walker_text_that_looks_like_rst_markup_is_escaped() {
    insta::assert_snapshot!(rendered(
        "1\\. is a number here, not a list\n\n\\- not a bullet\n\n.. not a comment\n\n:field: not a field list\n\nterm\n: not a definition\n"
    ));
}

#[test]
fn inline_sentence_with_literals() {
    let r = inline_to_rst("BPF_NOEXIST on a present key fails with EEXIST.").unwrap();
    assert_eq!(
        r.text,
        "``BPF_NOEXIST`` on a present key fails with ``EEXIST``."
    );
    // Spaces inside markup stay unbreakable (rst::NBSP) until wrapped.
    let r = inline_to_rst("With ``struct bpf_spin_lock`` in the value.").unwrap();
    assert_eq!(
        r.text.replace(mapspec_docgen::rst::NBSP, " "),
        "With ``struct bpf_spin_lock`` in the value."
    );
}

fn err(md: &str) -> (usize, String) {
    match to_rst(md) {
        Ok(r) => panic!("{md:?} rendered as {:?}", r.text),
        Err(e) => (e.line, e.message),
    }
}

#[test]
fn walker_refuses_what_it_cannot_render_with_the_line() {
    let cases: &[(&str, usize, &str)] = &[
        ("ok\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", 3, "table"),
        ("ok\n\n# Heading\n", 3, "heading"),
        ("ok\n\n> quoted\n", 3, "block quote"),
        ("text <b>bold</b>\n", 1, "HTML"),
        ("ok\n\n<div>block</div>\n", 3, "HTML"),
        ("ok\n\n```\nno language\n```\n", 3, "language"),
        ("ok\n\n```cobol\nDISPLAY.\n```\n", 3, "cobol"),
        ("ok\n\n    indented code\n", 3, "indented"),
        ("an ![image](https://x/y.png)\n", 1, "image"),
        ("line one  \nline two\n", 1, "hard line break"),
        ("a ~~struck~~ word\n", 1, "strikethrough"),
        ("a footnote[^1]\n\n[^1]: here\n", 1, "footnote"),
        ("ok\n\n---\n", 3, "horizontal rule"),
        ("*`code` in emphasis*\n", 1, "nest"),
        ("a [relative link](map_array.rst)\n", 1, "absolute"),
        ("- [ ] task\n", 1, "task"),
        ("inline ``` `` ``` code\n", 1, "literal"),
        ("ok\n\nsee <https://docs.kernel.org/bpf/>\n", 3, "bare link"),
        ("ok\n\n[unused]: https://x.example/\n", 3, "never used"),
        ("a [link](https://x.example/ \"Title\")\n", 1, "title"),
        (
            "ok\n\nsee https://docs.kernel.org/bpf/ here\n",
            3,
            "bare URL",
        ),
    ];
    for (md, line, what) in cases {
        let (l, msg) = err(md);
        assert!(
            msg.contains(what),
            "{md:?}: message {msg:?} does not mention {what:?}"
        );
        assert_eq!(l, *line, "{md:?}: {msg}");
    }
}

#[test]
fn angle_bracket_placeholders_print_as_written() {
    let r = inline_to_rst("The value is struct bpf_struct_ops_<name>: a header.").unwrap();
    assert_eq!(
        r.text,
        "The value is struct bpf_struct_ops\\_<name>: a header."
    );
    let r = inline_to_rst("A __sync_fetch_and_add() call.").unwrap();
    assert_eq!(r.text, "A ``__sync_fetch_and_add()`` call.");
}

#[test]
fn reference_links_render_like_inline_links() {
    let r = to_rst(
        "See [the man page][bpf].\n\n[bpf]: https://man7.org/linux/man-pages/man2/bpf.2.html\n",
    )
    .unwrap();
    assert_eq!(
        r.text.replace(mapspec_docgen::rst::NBSP, " "),
        "See `the man page`_.\n"
    );
    assert_eq!(
        r.targets[0].url,
        "https://man7.org/linux/man-pages/man2/bpf.2.html"
    );
}

#[test]
fn inline_refuses_several_blocks() {
    assert!(inline_to_rst("one\n\ntwo").is_err());
}

#[test]
fn nothing_is_dropped() {
    // Every word of the source survives into the output.
    let md = "Alpha `beta` *gamma* **delta** [epsilon](https://e.example/) zeta.\n\n- eta\n- theta\n\n1. iota\n";
    let out = to_rst(md).unwrap().text;
    for w in [
        "Alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
    ] {
        assert!(out.contains(w), "{w} missing from {out}");
    }
}
