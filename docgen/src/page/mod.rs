//! The context of one `map_<page>.rst`, in the kernel's style: title, an
//! "introduced in" note, the descriptions, the key facts, Usage, Semantics
//! (one create, command and update-flag table for all the page's types,
//! the statements, further behaviour), Examples, internals and history,
//! one sentence naming the kernels the page was checked on, References.
//! Each claim is stated once, in a table cell or a sentence, and
//! [`Layout`] records where, for the reachability test.

mod claim;
mod examples;
mod further;
pub(crate) mod syscall;
mod tables;

pub(crate) use crate::targets::Targets;

use crate::markdown::Target;
use crate::model::{DocModel, SpecDoc};
use crate::{key, rst, usage, DocError};
use mapspec_spec::yaml::Seg;
use mapspec_spec::{Evidence, NoteSection};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub(crate) struct Page {
    pub generated: String,
    pub title: String,
    pub since_note: String,
    pub intro: String,
    pub key_facts: String,
    pub kernel_funcs: Vec<usage::Func>,
    /// The element helpers the page's programs call, named in a sentence
    /// (the overview shows them).
    pub kernel_intro: String,
    pub user_funcs: Vec<usage::Func>,
    pub usage_notes: Vec<Part>,
    pub semantics: Vec<Part>,
    pub examples: Vec<ExampleCtx>,
    pub internals: Vec<Part>,
    pub history: Vec<Part>,
    pub checked: String,
    pub references: String,
    pub targets: Vec<Target>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Part {
    pub heading: String,
    pub body: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct ExampleCtx {
    pub title: String,
    pub text: String,
    pub blocks: Vec<CodeBlock>,
}

#[derive(Debug, Serialize)]
pub(crate) struct CodeBlock {
    pub lang: &'static str,
    pub code: String,
}

/// Where a claim is stated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A cell of one of the page's tables: the table (its section title),
    /// the row's label cells, the column heading and the cell's text.
    Cell {
        table: String,
        row: Vec<String>,
        column: String,
        text: String,
    },
    /// A sentence on the page (inline RST, as printed).
    Sentence(String),
    /// A measurement: its counts are in the compatibility report, not on
    /// the page.
    Report,
}

/// One claim and where its page states it.
#[derive(Debug, Clone)]
pub struct Placed {
    /// `<spec>/<claim id>`.
    pub claim: String,
    pub place: Place,
}

/// One prose statement as its page prints it.
#[derive(Debug, Clone)]
pub struct PageStatement {
    /// The spec it comes from.
    pub spec: String,
    /// Its YAML path in the spec, e.g. `atomicity` or `notes[2]`.
    pub field: String,
    pub kind: Evidence,
    /// The lead printed before it ("" for an asserted statement).
    pub lead: &'static str,
    /// Its text as RST, lead included.
    pub text: String,
}

/// Where everything on one page comes from.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// The page's file name.
    pub page: String,
    pub claims: Vec<Placed>,
    pub statements: Vec<PageStatement>,
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Renders prose statements and records them in the layout.
pub(crate) struct Statements<'l> {
    pub layout: &'l mut Layout,
    pub targets: Targets,
}

impl Statements<'_> {
    /// `st` of `sd` at `path`, with `prefix` (inline Markdown) after its lead.
    pub(crate) fn render(
        &mut self,
        sd: &SpecDoc,
        path: &[Seg],
        st: &mapspec_spec::Statement,
        prefix: &str,
    ) -> Result<String, DocError> {
        let text = claim::statement(sd.file, path, st, &sd.claims, prefix, &mut self.targets)?;
        self.layout.statements.push(PageStatement {
            spec: sd.spec().name.clone(),
            field: mapspec_spec::yaml::render_path(path),
            kind: st.evidence(),
            lead: claim::lead(st.evidence(), claim::backing_differs(st, &sd.claims)),
            text: text.clone(),
        });
        Ok(text)
    }
}

/// The context of the page of `docs` (one page group, in type order), and
/// where it states each claim and statement.
pub(crate) fn build(docs: &[&SpecDoc], model: &DocModel) -> Result<(Page, Layout), DocError> {
    let mut layout = Layout {
        page: format!("{}.rst", docs[0].spec().page),
        ..Layout::default()
    };
    let mut st = Statements {
        layout: &mut layout,
        targets: Targets::default(),
    };
    let many = docs.len() > 1;
    let types: Vec<String> = docs.iter().map(|d| d.spec().map_type.clone()).collect();
    // A family page may name itself; every spec of it that does agrees.
    let mut titles = docs.iter().filter_map(|d| d.spec().page_title.as_ref());
    let title = match titles.next() {
        Some(t) => {
            if let Some(other) = titles.find(|o| *o != t) {
                return Err(DocError::Inconsistent(format!(
                    "page {}: page_title `{t}` in one spec and `{other}` in another",
                    docs[0].spec().page
                )));
            }
            rst::escape(t)
        }
        None => rst::escape(&join_and(&types)),
    };

    let since = |d: &SpecDoc| {
        format!(
            "{} was introduced in kernel version {}",
            rst::literal(&d.spec().map_type),
            d.spec().since
        )
    };
    let since_note = if many {
        let mut s = String::from(".. note::\n");
        for d in docs {
            s.push_str(&rst::wrap(&since(d), "   - ", "     "));
        }
        s
    } else {
        format!(".. note:: {}\n", since(docs[0]))
    };

    let mut intro = String::new();
    for d in docs {
        let r = d.file.block(&[key("description")], &d.spec().description)?;
        st.targets.add(d.file, r.targets)?;
        intro.push_str(&r.text);
        intro.push('\n');
    }

    // Key facts: each once, however many types of the page state it.
    let mut key_facts = String::new();
    let mut seen = Vec::new();
    for d in docs {
        for (i, kf) in d.spec().key_facts.iter().enumerate() {
            if seen.contains(&kf.text) {
                continue;
            }
            seen.push(kf.text.clone());
            let path = [key("key_facts"), Seg::Index(i)];
            let text = st.render(d, &path, kf, "")?;
            key_facts.push_str(&rst::indent(&text, "  ").replacen("  ", "- ", 1));
        }
    }

    for d in docs {
        st.targets.add(d.file, d.api_targets.clone())?;
    }
    let wrapped = |v: Vec<usage::Func>| -> Vec<usage::Func> {
        v.into_iter()
            .map(|mut f| {
                f.text = rst::wrap(&f.text, "", "");
                f
            })
            .collect()
    };
    let kernel_funcs = wrapped(usage::kernel_side(docs));
    let kernel_intro = usage::element_helpers_line(docs)
        .map(|l| rst::wrap(&l, "", ""))
        .unwrap_or_default();
    // The libbpf wrappers of the commands are listed once, in the
    // overview; a page lists only the functions its types add.
    let own: Vec<usage::Func> = docs.iter().flat_map(|d| d.userspace.clone()).collect();
    let mut user_funcs: Vec<usage::Func> = Vec::new();
    for f in wrapped(own) {
        if !user_funcs.iter().any(|g| g.name == f.name) {
            user_funcs.push(f);
        }
    }

    let mut semantics: Vec<Part> = tables::tables(docs, &mut st.targets, &mut st.layout.claims)?
        .into_iter()
        .map(|(h, body)| Part {
            heading: h.into(),
            body,
        })
        .collect();
    semantics.extend(further::statements(docs, &mut st)?);
    let notes = |section: NoteSection, st: &mut Statements| -> Result<Vec<Part>, DocError> {
        let mut out: Vec<Part> = Vec::new();
        let mut seen = Vec::new();
        for d in docs {
            for (i, n) in d.spec().notes.iter().enumerate() {
                if n.section != section || seen.contains(&(&n.title, &n.text)) {
                    continue;
                }
                seen.push((&n.title, &n.text));
                let path = [key("notes"), Seg::Index(i)];
                let mut body = st.render(d, &path, &n.statement(), "")?;
                // The kernel tree's own figure and DOC text, in place.
                if let Some(f) = &n.figure {
                    body.push('\n');
                    body.push_str(&rst::kernel_figure(&f.file, &f.alt, &f.caption));
                }
                if let Some(k) = &n.kernel_doc {
                    body.push('\n');
                    body.push_str(&rst::kernel_doc(&k.source, &k.doc));
                }
                out.push(Part {
                    heading: rst::escape(&n.title),
                    body,
                });
            }
        }
        Ok(out)
    };
    let usage_notes = notes(NoteSection::Usage, &mut st)?;
    semantics.extend(notes(NoteSection::Semantics, &mut st)?);
    if let Some(p) = further::scenarios(docs, &mut st)? {
        semantics.push(p);
    }
    let internals = notes(NoteSection::Internals, &mut st)?;
    let history = notes(NoteSection::History, &mut st)?;

    let checked = checked_sentence(docs, model);

    let mut refs = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for d in docs {
        for r in &d.spec().references {
            if seen.insert((r.title.clone(), r.url.clone())) {
                refs.push(rst::wrap(
                    &format!("`{} <{}>`__", r.title.replace(['`', '<', '>'], ""), r.url),
                    "- ",
                    "  ",
                ));
            }
        }
    }
    // A version read from an upstream commit names the commit here, so the
    // "from the kernel source" of a mark can be followed (issue 12, point 4).
    // maps.rst names the commits of the system call's claims.
    let commits = upstream_commits(docs.iter().copied(), mapspec_spec::Scope::Map);
    for (version, commit, subject) in commits {
        refs.push(rst::wrap(
            &format!("Linux {version}: commit {commit} (\"{subject}\")."),
            "- ",
            "  ",
        ));
    }
    refs.push(rst::wrap(
        "The concepts common to all map types: :doc:`ebpf_maps`.",
        "- ",
        "  ",
    ));

    let examples = examples::examples(docs, model, &mut st.targets)?;
    let targets = std::mem::take(&mut st.targets);
    Ok((
        Page {
            generated: crate::templates::header_comment(),
            title,
            since_note,
            intro,
            key_facts,
            kernel_funcs,
            kernel_intro,
            user_funcs,
            usage_notes,
            semantics,
            examples,
            internals,
            history,
            checked,
            references: refs.concat(),
            targets: targets.into_vec(),
        },
        layout,
    ))
}

/// The page's one verification sentence: the kernels on which every claim
/// of the page passed, and where the evidence is.
fn checked_sentence(docs: &[&SpecDoc], model: &DocModel) -> String {
    // Counting claims are the report's, not the page's.
    let marks = docs.iter().flat_map(|d| {
        d.claims
            .iter()
            .filter(|c| {
                !c.claim.requires.statistical && c.claim.meta.scope == mapspec_spec::Scope::Map
            })
            .map(|c| &c.marks)
    });
    let kernels = model.results.checked_on(marks);
    let text = if kernels.is_empty() && !model.results.kernels().is_empty() {
        "No kernel passed every check of this page; the marks in its tables \
         say where kernels differ, and the mapspec compatibility report holds \
         the evidence."
            .to_string()
    } else if kernels.is_empty() {
        "No kernel results were given when this page was generated, so none of \
         its tables and statements has been checked on a kernel."
            .to_string()
    } else {
        // What the marks mean, and where the versions come from, is said
        // once, in the overview.
        format!(
            "Unless marked otherwise, this page was checked on Linux {} \
             (:ref:`version marks <bpf_map_version_marks>`); the mapspec \
             compatibility report holds the evidence.",
            join_and(&kernels)
        )
    };
    rst::wrap(&text, "", "")
}

/// The upstream commits that the versions of `docs`' claims of `scope` were
/// read from, each with that version: a page names them so that "from the
/// kernel source" can be followed.
pub(crate) fn upstream_commits<'a>(
    docs: impl IntoIterator<Item = &'a SpecDoc<'a>>,
    scope: mapspec_spec::Scope,
) -> std::collections::BTreeSet<(mapspec_spec::KernelVersion, String, String)> {
    let mut commits = std::collections::BTreeSet::new();
    for d in docs {
        for c in &d.claims {
            let m = &c.claim.meta;
            if m.scope != scope {
                continue;
            }
            let Some(mapspec_spec::VersionSource::Commit { commit, subject }) = &m.source else {
                continue;
            };
            let version = match (&m.since, &m.until) {
                (Some(s), _) => s.version(),
                (None, Some(u)) => *u,
                (None, None) => continue,
            };
            commits.insert((version, commit.clone(), subject.clone()));
        }
    }
    commits
}
