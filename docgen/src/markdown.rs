//! Markdown (as written in spec descriptions and claim texts) to RST.
//!
//! pulldown-cmark has no RST writer, so the events are folded into a small
//! block tree first and printed from there: RST needs to know a block's
//! indentation and whether a list is tight before it can print anything.
//! Whatever has no faithful RST form is an error, never dropped text.

use crate::rst::{self, Piece};
use pulldown_cmark::{CodeBlockKind, Event, LinkType, Options, Parser, Tag, TagEnd};

/// A Markdown construct that cannot be rendered, at a 1-based line of the
/// Markdown source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct MdError {
    pub line: usize,
    pub message: String,
}

/// A link target collected from the text; printed as a trailing
/// `.. _name: url` so that URLs stay out of the prose.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Target {
    pub name: String,
    pub url: String,
}

/// Rendered RST and the link targets it refers to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rst {
    pub text: String,
    pub targets: Vec<Target>,
}

/// Languages Pygments knows under these names; anything else would make
/// Sphinx warn, so it is refused here instead.
const LANGUAGES: &[&str] = &[
    "c", "console", "sh", "bash", "shell", "text", "none", "json", "yaml", "python", "rust",
    "diff", "make", "asm", "ini",
];

#[derive(Debug)]
enum Inline {
    Text(String),
    Code(String, usize),
    Emph(Vec<Inline>, usize),
    Strong(Vec<Inline>, usize),
    Link {
        children: Vec<Inline>,
        url: String,
        line: usize,
    },
}

#[derive(Debug)]
enum Block {
    Para(Vec<Inline>),
    List {
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
    Code {
        lang: String,
        text: String,
    },
}

enum Frame {
    Blocks(Vec<Block>),
    Para(Vec<Inline>),
    List {
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
    Item(Vec<Block>, Vec<Inline>),
    Emph(Vec<Inline>, usize),
    Strong(Vec<Inline>, usize),
    Link {
        children: Vec<Inline>,
        url: String,
        line: usize,
    },
    Code {
        lang: String,
        text: String,
    },
}

fn line_of(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())].matches('\n').count() + 1
}

fn unsupported(what: &str, line: usize) -> MdError {
    MdError {
        line,
        message: format!("{what} cannot be rendered to kernel-style RST; rewrite it"),
    }
}

fn parse(src: &str) -> Result<Vec<Block>, MdError> {
    // Extensions are enabled only so that their syntax is recognised and
    // refused, instead of slipping through as literal pipes and tildes.
    // (Definition lists stay off: their `: ` lines read fine as prose.)
    let opts = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH;
    let mut stack: Vec<Frame> = vec![Frame::Blocks(Vec::new())];
    let mut used_urls = std::collections::BTreeSet::new();
    let mut parser = Parser::new_ext(src, opts).into_offset_iter();
    for (ev, range) in parser.by_ref() {
        let line = line_of(src, range.start);
        match ev {
            Event::Start(tag) => match tag {
                Tag::Paragraph => stack.push(Frame::Para(Vec::new())),
                Tag::List(start) => stack.push(Frame::List {
                    start,
                    items: Vec::new(),
                }),
                Tag::Item => stack.push(Frame::Item(Vec::new(), Vec::new())),
                Tag::Emphasis => stack.push(Frame::Emph(Vec::new(), line)),
                Tag::Strong => stack.push(Frame::Strong(Vec::new(), line)),
                Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    ..
                } => {
                    let url = dest_url.to_string();
                    used_urls.insert(url.clone());
                    if !title.is_empty() {
                        return Err(MdError {
                            line,
                            message: format!(
                                "link title \"{title}\": RST links have no title; put it in the text"
                            ),
                        });
                    }
                    if matches!(link_type, LinkType::Email) {
                        return Err(unsupported("an e-mail autolink", line));
                    }
                    if !(url.starts_with("https://") || url.starts_with("http://")) {
                        return Err(MdError {
                            line,
                            message: format!(
                                "link to `{url}`: only absolute http(s) links can be rendered"
                            ),
                        });
                    }
                    stack.push(Frame::Link {
                        children: Vec::new(),
                        url,
                        line,
                    })
                }
                Tag::CodeBlock(kind) => {
                    let lang = match kind {
                        CodeBlockKind::Fenced(l) => l.split_whitespace().next().unwrap_or("").to_string(),
                        CodeBlockKind::Indented => {
                            return Err(MdError {
                                line,
                                message: "indented code block: use a fenced block that names its language (```c)".into(),
                            })
                        }
                    };
                    if lang.is_empty() {
                        return Err(MdError {
                            line,
                            message: "code block without a language: the kernel sets highlight_language = 'none', so name it (```c, ```text)".into(),
                        });
                    }
                    if !LANGUAGES.contains(&lang.as_str()) {
                        return Err(MdError {
                            line,
                            message: format!(
                                "code block language `{lang}` is not one of {}",
                                LANGUAGES.join(", ")
                            ),
                        });
                    }
                    stack.push(Frame::Code {
                        lang,
                        text: String::new(),
                    })
                }
                Tag::Heading { .. } => {
                    return Err(unsupported(
                        "a heading inside a description (the page owns the section structure)",
                        line,
                    ))
                }
                Tag::BlockQuote(_) => return Err(unsupported("a block quote", line)),
                Tag::HtmlBlock => return Err(unsupported("HTML", line)),
                Tag::FootnoteDefinition(_) => return Err(unsupported("a footnote", line)),
                Tag::Table(_) | Tag::TableHead | Tag::TableRow | Tag::TableCell => {
                    return Err(unsupported(
                        "a Markdown table (tables come from the spec's claims)",
                        line,
                    ))
                }
                Tag::Image { .. } => return Err(unsupported("an image", line)),
                Tag::Strikethrough => return Err(unsupported("strikethrough", line)),
                Tag::Superscript | Tag::Subscript => {
                    return Err(unsupported("super- or subscript", line))
                }
                Tag::DefinitionList | Tag::DefinitionListTitle | Tag::DefinitionListDefinition => {
                    return Err(unsupported("a definition list", line))
                }
                Tag::MetadataBlock(_) => return Err(unsupported("a metadata block", line)),
            },
            Event::End(end) => {
                let frame = stack
                    .pop()
                    .ok_or_else(|| unsupported("unbalanced markup", line))?;
                match (end, frame) {
                    (TagEnd::Paragraph, Frame::Para(inl)) => {
                        push_block(&mut stack, Block::Para(inl), line)?
                    }
                    (TagEnd::List(_), Frame::List { start, items }) => {
                        push_block(&mut stack, Block::List { start, items }, line)?
                    }
                    (TagEnd::Item, Frame::Item(mut blocks, inl)) => {
                        // Tight list items carry their text without a paragraph.
                        if !inl.is_empty() {
                            blocks.insert(0, Block::Para(inl));
                        }
                        match stack.last_mut() {
                            Some(Frame::List { items, .. }) => items.push(blocks),
                            _ => return Err(unsupported("a list item outside a list", line)),
                        }
                    }
                    (TagEnd::Emphasis, Frame::Emph(c, l)) => {
                        push_inline(&mut stack, Inline::Emph(c, l), line)?
                    }
                    (TagEnd::Strong, Frame::Strong(c, l)) => {
                        push_inline(&mut stack, Inline::Strong(c, l), line)?
                    }
                    (
                        TagEnd::Link,
                        Frame::Link {
                            children,
                            url,
                            line: l,
                        },
                    ) => push_inline(
                        &mut stack,
                        Inline::Link {
                            children,
                            url,
                            line: l,
                        },
                        line,
                    )?,
                    (TagEnd::CodeBlock, Frame::Code { lang, text }) => {
                        push_block(&mut stack, Block::Code { lang, text }, line)?
                    }
                    _ => return Err(unsupported("unexpected markup nesting", line)),
                }
            }
            Event::Text(t) => match stack.last_mut() {
                Some(Frame::Code { text, .. }) => text.push_str(&t),
                Some(Frame::Link { .. }) => {
                    push_inline(&mut stack, Inline::Text(t.to_string()), line)?
                }
                _ => {
                    if let Some(url) = t.split_whitespace().find(|w| w.contains("://")) {
                        // docutils would turn it into an inline external link.
                        return Err(MdError {
                            line,
                            message: format!(
                                "a bare URL {url}: write [text](url) so that it becomes a trailing named target"
                            ),
                        });
                    }
                    push_inline(&mut stack, Inline::Text(t.to_string()), line)?
                }
            },
            Event::Code(c) => push_inline(&mut stack, Inline::Code(c.to_string(), line), line)?,
            Event::SoftBreak => push_inline(&mut stack, Inline::Text(" ".into()), line)?,
            Event::HardBreak => return Err(unsupported("a hard line break", line)),
            Event::InlineHtml(h) if is_placeholder(&h) => {
                // `bpf_struct_ops_<name>`: a placeholder, not markup.
                push_inline(&mut stack, Inline::Text(h.to_string()), line)?
            }
            Event::Html(_) | Event::InlineHtml(_) => return Err(unsupported("HTML", line)),
            Event::InlineMath(_) | Event::DisplayMath(_) => return Err(unsupported("math", line)),
            Event::FootnoteReference(_) => return Err(unsupported("a footnote reference", line)),
            Event::Rule => return Err(unsupported("a horizontal rule", line)),
            Event::TaskListMarker(_) => return Err(unsupported("a task list", line)),
        }
    }
    // A link reference definition (`[x]: https://...`) produces no event
    // of its own: one that no link uses would vanish without a trace.
    let mut unused: Vec<(usize, String)> = parser
        .reference_definitions()
        .iter()
        .filter(|(_, def)| !used_urls.contains(def.dest.as_ref()))
        .map(|(label, def)| (line_of(src, def.span.start), label.to_string()))
        .collect();
    unused.sort();
    if let Some((line, label)) = unused.into_iter().next() {
        return Err(MdError {
            line,
            message: format!("link reference definition `[{label}]` is never used"),
        });
    }
    match stack.pop() {
        Some(Frame::Blocks(b)) if stack.is_empty() => Ok(b),
        _ => Err(unsupported("unbalanced markup", line_of(src, src.len()))),
    }
}

/// HTML elements a description might really mean as markup: refused.
const HTML_TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "big",
    "blockquote",
    "br",
    "center",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "font",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
];

/// `<name>`, `<cpu>`: CommonMark reads an angle-bracketed word as an HTML
/// tag, but in a spec it is a placeholder and prints as written.
fn is_placeholder(h: &str) -> bool {
    h.strip_prefix('<')
        .and_then(|r| r.strip_suffix('>'))
        .is_some_and(|name| {
            name.starts_with(|c: char| c.is_ascii_lowercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
                && !HTML_TAGS.contains(&name)
        })
}

fn push_block(stack: &mut [Frame], b: Block, line: usize) -> Result<(), MdError> {
    match stack.last_mut() {
        Some(Frame::Blocks(v)) => v.push(b),
        Some(Frame::Item(v, inl)) => {
            if !inl.is_empty() {
                v.push(Block::Para(std::mem::take(inl)));
            }
            v.push(b)
        }
        _ => return Err(unsupported("a block inside inline text", line)),
    }
    Ok(())
}

fn push_inline(stack: &mut [Frame], i: Inline, line: usize) -> Result<(), MdError> {
    match stack.last_mut() {
        Some(Frame::Para(v))
        | Some(Frame::Item(_, v))
        | Some(Frame::Emph(v, _))
        | Some(Frame::Strong(v, _))
        | Some(Frame::Link { children: v, .. }) => match (v.last_mut(), i) {
            // pulldown-cmark splits text at unmatched delimiters (`__x`);
            // joined, a word such as `__sync_fetch_and_add()` stays whole.
            (Some(Inline::Text(prev)), Inline::Text(t)) => prev.push_str(&t),
            (_, i) => v.push(i),
        },
        _ => return Err(unsupported("text outside a paragraph", line)),
    }
    Ok(())
}

/// Text of inline children that RST cannot nest (emphasis, link text).
fn flat_text(children: &[Inline], what: &str, line: usize) -> Result<String, MdError> {
    let mut s = String::new();
    for c in children {
        match c {
            Inline::Text(t) => s.push_str(t),
            _ => {
                return Err(MdError {
                    line,
                    message: format!("RST cannot nest markup inside {what}; simplify it"),
                })
            }
        }
    }
    Ok(s)
}

fn inline_pieces(
    inl: &[Inline],
    targets: &mut Vec<Target>,
    out: &mut Vec<Piece>,
) -> Result<(), MdError> {
    for i in inl {
        match i {
            Inline::Text(t) => out.extend(rst::auto_literal(t)),
            Inline::Code(c, line) => {
                if c.contains("``") || c.trim() != c || c.is_empty() {
                    return Err(MdError {
                        line: *line,
                        message: format!(
                            "inline code `{c}` cannot be an RST literal (empty, edge spaces or double backquotes)"
                        ),
                    });
                }
                out.push(Piece::Markup(rst::literal(c)));
            }
            Inline::Emph(c, line) => {
                let t = flat_text(c, "emphasis", *line)?;
                out.push(Piece::Markup(format!("*{}*", rst::escape(t.trim()))));
            }
            Inline::Strong(c, line) => {
                let t = flat_text(c, "strong emphasis", *line)?;
                out.push(Piece::Markup(format!("**{}**", rst::escape(t.trim()))));
            }
            Inline::Link {
                children,
                url,
                line,
            } => {
                // Code in link text is kept as its plain text: RST cannot
                // nest a literal in a reference, and nothing is lost.
                let mut name = String::new();
                for c in children {
                    match c {
                        Inline::Text(t) | Inline::Code(t, _) => name.push_str(t),
                        _ => {
                            return Err(MdError {
                                line: *line,
                                message: "RST cannot nest emphasis inside link text".into(),
                            })
                        }
                    }
                }
                let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
                if name.is_empty() || name == *url {
                    // The kernel keeps URLs out of the prose: in References
                    // or in trailing named targets, which need a name.
                    return Err(MdError {
                        line: *line,
                        message: format!(
                            "a bare link to {url}: give it a text, [text]({url}), so that the URL becomes a trailing named target"
                        ),
                    });
                }
                if name.contains(['`', '<', '>', ':']) {
                    return Err(MdError {
                        line: *line,
                        message: format!(
                            "link text `{name}` holds characters RST reserves for references"
                        ),
                    });
                }
                targets.push(Target {
                    name: name.clone(),
                    url: url.clone(),
                });
                out.push(Piece::Markup(format!(
                    "`{}`_",
                    name.replace(' ', &rst::NBSP.to_string())
                )));
            }
        }
    }
    Ok(())
}

fn render_blocks(
    blocks: &[Block],
    indent: &str,
    targets: &mut Vec<Target>,
    out: &mut String,
) -> Result<(), MdError> {
    for (n, b) in blocks.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        match b {
            Block::Para(inl) => {
                let mut pieces = Vec::new();
                inline_pieces(inl, targets, &mut pieces)?;
                out.push_str(&rst::wrap(&rst::join(&pieces), indent, indent));
            }
            Block::Code { lang, text } => {
                out.push_str(&format!("{indent}.. code-block:: {lang}\n\n"));
                let inner = format!("{indent}   ");
                out.push_str(&rst::indent(text.trim_end_matches('\n'), &inner));
            }
            Block::List { start, items } => {
                let loose = items.iter().any(|i| i.len() > 1);
                for (k, item) in items.iter().enumerate() {
                    if k > 0 && loose {
                        out.push('\n');
                    }
                    let marker = match start {
                        None => "- ".to_string(),
                        Some(s) => format!("{}. ", s + k as u64),
                    };
                    let inner = format!("{indent}{}", " ".repeat(marker.len()));
                    let mut body = String::new();
                    render_blocks(item, &inner, targets, &mut body)?;
                    // Swap the first line's indentation for the marker.
                    let body = body
                        .strip_prefix(inner.as_str())
                        .map(|rest| format!("{indent}{marker}{rest}"))
                        .unwrap_or_else(|| format!("{indent}{}\n{body}", marker.trim_end()));
                    out.push_str(&body);
                }
            }
        }
    }
    Ok(())
}

fn with_line(mut e: MdError, fallback: usize) -> MdError {
    if e.line == 0 {
        e.line = fallback;
    }
    e
}

/// Render a Markdown document (a description) to RST blocks.
pub fn to_rst(src: &str) -> Result<Rst, MdError> {
    let blocks = parse(src)?;
    let mut targets = Vec::new();
    let mut text = String::new();
    render_blocks(&blocks, "", &mut targets, &mut text).map_err(|e| with_line(e, 1))?;
    Ok(Rst { text, targets })
}

/// Render one Markdown sentence (a claim or statement text) to inline RST,
/// unwrapped. It must be a single paragraph.
pub fn inline_to_rst(src: &str) -> Result<Rst, MdError> {
    let blocks = parse(src)?;
    match blocks.as_slice() {
        [] => Ok(Rst::default()),
        [Block::Para(inl)] => {
            let mut targets = Vec::new();
            let mut pieces = Vec::new();
            inline_pieces(inl, &mut targets, &mut pieces).map_err(|e| with_line(e, 1))?;
            Ok(Rst {
                text: rst::join(&pieces),
                targets,
            })
        }
        _ => Err(MdError {
            line: 1,
            message: "expected one sentence, found several blocks".into(),
        }),
    }
}
