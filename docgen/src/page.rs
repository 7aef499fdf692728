//! The context of one `map_<page>.rst`: every map type of the page group,
//! every claim of each with its verification status.

use crate::markdown::Target;
use crate::wording::{self, Results, State};
use crate::{key, rst, usage, DocError, SpecFile};
use mapspec_spec::yaml::Seg;
use mapspec_spec::{Claim, ClaimKind, Command, CreateAttrs, Datum, MapSpec, Outcome, Statement};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
pub struct Page {
    pub generated: String,
    pub title: String,
    pub since_note: String,
    pub intro: String,
    pub kernel_funcs: Vec<usage::Func>,
    pub userspace_intro: String,
    pub user_funcs: Vec<usage::Func>,
    pub concurrency: Vec<Part>,
    pub examples: Vec<ExampleCtx>,
    pub semantics_intro: String,
    pub types: Vec<TypeCtx>,
    /// Heading character of the subsections of Semantics.
    pub sub: &'static str,
    pub references: String,
    pub targets: Vec<Target>,
}

#[derive(Debug, Serialize)]
pub struct Part {
    pub heading: Option<String>,
    pub body: String,
}

#[derive(Debug, Serialize)]
pub struct TypeCtx {
    pub heading: Option<String>,
    pub description: String,
    pub sections: Vec<Section>,
}

#[derive(Debug, Serialize)]
pub struct Section {
    pub title: String,
    pub body: String,
}

#[derive(Debug, Serialize)]
pub struct ExampleCtx {
    pub title: String,
    pub text: String,
    pub blocks: Vec<CodeBlock>,
}

#[derive(Debug, Serialize)]
pub struct CodeBlock {
    pub lang: &'static str,
    pub code: String,
}

/// Collects link targets of a page: one `.. _name: url` per name.
#[derive(Default)]
pub(crate) struct Targets(BTreeMap<String, String>);

impl Targets {
    pub(crate) fn add(&mut self, sf: &SpecFile, ts: Vec<Target>) -> Result<(), DocError> {
        for t in ts {
            let norm = t.name.to_lowercase();
            match self.0.get(&norm) {
                Some(url) if *url != t.url => {
                    return Err(DocError::Inconsistent(format!(
                        "{}: the link text `{}` points at {} here and at {url} elsewhere on the same page; use distinct link texts",
                        sf.path.display(),
                        t.name,
                        t.url
                    )))
                }
                Some(_) => {}
                None => {
                    self.0.insert(norm, t.url.clone());
                }
            }
        }
        Ok(())
    }
    pub(crate) fn into_vec(self) -> Vec<Target> {
        self.0
            .into_iter()
            .map(|(name, url)| Target { name, url })
            .collect()
    }
}

/// Where a claim's fields live in its spec file.
fn claim_path(spec: &MapSpec, claim: &Claim) -> Vec<Seg> {
    let id = &claim.meta.id;
    let find = |list: &str, idx: Option<usize>| match idx {
        Some(i) => vec![key(list), Seg::Index(i)],
        None => vec![key(list)],
    };
    match claim.kind {
        ClaimKind::Exists => vec![key("map_type")],
        ClaimKind::Create { .. } => find("create", spec.create.iter().position(|c| c.id == *id)),
        ClaimKind::Command { .. } => {
            find("commands", spec.commands.iter().position(|c| c.id == *id))
        }
        ClaimKind::UpdateFlag { .. } => find(
            "update_flags",
            spec.update_flags.iter().position(|c| c.id == *id),
        ),
        ClaimKind::Scenario => find("scenarios", spec.scenarios.iter().position(|c| c.id == *id)),
    }
}

fn with(path: &[Seg], k: &str) -> Vec<Seg> {
    let mut p = path.to_vec();
    p.push(key(k));
    p
}

/// A claim rendered for the page: its bullet and its state.
pub(crate) struct RenderedClaim {
    pub bullet: String,
    pub state: State,
    pub status: wording::Status,
    /// The claim's sentence as inline RST (without status), for tests.
    pub text: String,
}

fn since_sentence(claim: &Claim) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(s) = &claim.meta.since {
        let mut p = format!("Since {}", s.describe());
        if let Some(b) = claim.meta.before {
            p.push_str(&format!("; older kernels give {}", wording::outcome(b)));
        }
        parts.push(p);
    }
    if let Some(u) = claim.meta.until {
        let mut p = format!("Until {u}");
        if let Some(a) = claim.meta.after {
            p.push_str(&format!("; from {u} on, {}", wording::outcome(a)));
        }
        parts.push(p);
    }
    if parts.is_empty() {
        None
    } else {
        Some(format!("{}.", parts.join(". ")))
    }
}

pub(crate) fn render_claim(
    sf: &SpecFile,
    claim: &Claim,
    results: &Results,
    targets: &mut Targets,
) -> Result<RenderedClaim, DocError> {
    let spec = &sf.spec;
    let path = claim_path(spec, claim);
    let status = results.status(spec, claim);
    let text = if matches!(claim.kind, ClaimKind::Exists) {
        rst::prose(&claim.meta.text)
    } else {
        let r = sf.inline(&with(&path, "text"), &claim.meta.text)?;
        targets.add(sf, r.targets)?;
        r.text
    };
    let mut sentences = vec![format!("{}{text}", status.lead())];
    if let Some(note) = &claim.meta.note {
        let r = sf.inline(&with(&path, "note"), note)?;
        targets.add(sf, r.targets)?;
        sentences.push(r.text);
    }
    sentences.extend(since_sentence(claim));
    sentences.extend(status.sentences.iter().cloned());
    Ok(RenderedClaim {
        bullet: rst::wrap(&sentences.join(" "), "- ", "  "),
        state: status.state,
        status,
        text,
    })
}

fn datum(d: &Datum) -> String {
    match d {
        Datum::Int(n) => n.to_string(),
        Datum::Bytes(b) => format!("{b:?}"),
        Datum::Lpm { prefixlen, data } => format!("{data:?}/{prefixlen}"),
        Datum::Fd { fd } => format!("fd of {fd}"),
        Datum::Pattern { pattern } => format!("key + {pattern}"),
        Datum::Id { id } => format!("id of {id}"),
        Datum::Ifindex { ifindex } => format!("ifindex of {ifindex}"),
        Datum::Cookie { cookie } => format!("cookie of {cookie}"),
        Datum::U32s { u32s } => {
            let v: Vec<String> = u32s.iter().map(datum).collect();
            format!("{{{}}}", v.join(", "))
        }
        Datum::Map { map } => format!("fd of a map of type {}", map.type_value),
    }
}

/// The attributes a create rule sets, as inline RST.
fn attrs(a: &CreateAttrs) -> String {
    let mut v: Vec<String> = Vec::new();
    let lit = |v: &mut Vec<String>, name: &str, val: String| {
        v.push(rst::literal(&format!("{name} = {val}")))
    };
    if let Some(x) = a.key_size {
        lit(&mut v, "key_size", x.to_string());
    }
    if let Some(x) = a.value_size {
        lit(&mut v, "value_size", x.to_string());
    }
    if let Some(x) = a.max_entries {
        lit(&mut v, "max_entries", x.to_string());
    }
    if let Some(f) = &a.map_flags {
        let names: Vec<&str> = f.iter().map(|f| f.name()).collect();
        lit(
            &mut v,
            "map_flags",
            if names.is_empty() {
                "0".into()
            } else {
                names.join(" | ")
            },
        );
    }
    if let Some(x) = a.map_extra {
        lit(&mut v, "map_extra", x.to_string());
    }
    if let Some(x) = a.numa_node {
        lit(&mut v, "numa_node", x.to_string());
    }
    if let Some(b) = &a.btf {
        v.push(format!("BTF {}", rst::literal(b.name())));
    }
    if let Some(m) = &a.inner_map {
        lit(&mut v, "inner_map", format!("map type {}", m.type_value));
    }
    if let Some(d) = &a.inner_map_fd {
        lit(&mut v, "inner_map_fd", datum(d));
    }
    for c in &a.drop_caps {
        v.push(format!("without {}", rst::literal(c.name())));
    }
    if v.is_empty() {
        "base attributes".into()
    } else {
        v.join(", ")
    }
}

/// A table cell: the outcome, when it started or stopped, and a mark when
/// the claim is not verified (`marks` is off when the whole table is
/// unverified and says so once above it).
fn cell(expect: Outcome, claim: &Claim, state: State, marks: bool) -> String {
    let mut s = wording::outcome(expect);
    if let Some(since) = &claim.meta.since {
        s.push_str(&format!(" since {}", since.version()));
    }
    if let Some(until) = claim.meta.until {
        s.push_str(&format!(" until {until}"));
    }
    if marks {
        s.push_str(mark(state));
    }
    s
}

/// Whether a table needs per-cell marks, and the sentence that replaces
/// them when no cell of the table is verified.
fn table_marks(claims: &[&(Claim, RenderedClaim)]) -> (bool, String) {
    if claims.iter().all(|(_, r)| r.state == State::Unverified) {
        (
            false,
            "**Not yet verified:** no outcome in this table has been confirmed on a \
             kernel yet.\n"
                .to_string(),
        )
    } else {
        (true, String::new())
    }
}

fn mark(state: State) -> &'static str {
    match state {
        State::Verified => "",
        State::Unverified => " (unverified)",
        State::Differs => " (differs)",
    }
}

/// A grid of outcomes: rows × situation columns, columns in order of first
/// use. Cells hit twice (same row and column) are joined.
struct Grid {
    corner: String,
    rows: Vec<String>,
    cols: Vec<String>,
    cells: BTreeMap<(usize, usize), Vec<String>>,
}

impl Grid {
    fn new(corner: &str) -> Grid {
        Grid {
            corner: corner.into(),
            rows: Vec::new(),
            cols: Vec::new(),
            cells: BTreeMap::new(),
        }
    }
    fn index(v: &mut Vec<String>, s: String) -> usize {
        match v.iter().position(|x| *x == s) {
            Some(i) => i,
            None => {
                v.push(s);
                v.len() - 1
            }
        }
    }
    fn put(&mut self, row: String, col: String, text: String) {
        let r = Self::index(&mut self.rows, row);
        let c = Self::index(&mut self.cols, col);
        self.cells.entry((r, c)).or_default().push(text);
    }
    fn table(&self) -> String {
        let mut header = vec![self.corner.clone()];
        header.extend(self.cols.iter().cloned());
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .enumerate()
            .map(|(r, label)| {
                let mut row = vec![label.clone()];
                for c in 0..self.cols.len() {
                    row.push(
                        self.cells
                            .get(&(r, c))
                            .map(|v| v.join("; "))
                            .unwrap_or_default(),
                    );
                }
                row
            })
            .collect();
        rst::simple_table(&header, &rows)
    }
}

fn situation_heading(spec: &MapSpec, name: &str) -> String {
    spec.situations
        .get(name)
        .map(|s| rst::prose(&s.text))
        .unwrap_or_else(|| rst::prose(name))
}

fn statement(
    sf: &SpecFile,
    field: &str,
    st: &Statement,
    claims: &BTreeMap<String, (Claim, RenderedClaim)>,
    targets: &mut Targets,
) -> Result<String, DocError> {
    let path = [key(field), key("text")];
    let backing: Vec<&(Claim, RenderedClaim)> = st
        .checked_by
        .iter()
        .filter_map(|id| claims.get(id))
        .collect();
    let statuses: Vec<wording::Status> = backing.iter().map(|(_, r)| r.status.clone()).collect();
    let (state, kernels) = if backing.len() == st.checked_by.len() {
        wording::combine(&statuses)
    } else {
        (State::Unverified, Vec::new())
    };
    let lead = match state {
        State::Verified => "",
        State::Unverified => "**Not yet verified:** ",
        State::Differs => "**Differs between kernels:** ",
    };
    // The lead goes into the Markdown so that it opens the first paragraph.
    let r = sf.block(&path, &format!("{lead}{}", st.text))?;
    targets.add(sf, r.targets)?;
    let mut out = r.text;
    out.push('\n');
    let n = backing.len();
    let lead_in = match (state, n) {
        (_, 0) => "No check backs this statement yet.".to_string(),
        (State::Verified, 1) => format!(
            "Verified on {}, through this claim:",
            wording::kernel_names(&kernels)
        ),
        (State::Verified, _) => format!(
            "Verified on {}, through these claims:",
            wording::kernel_names(&kernels)
        ),
        (_, 1) => "It rests on this claim:".into(),
        (_, _) => "It rests on these claims:".into(),
    };
    out.push_str(&rst::wrap(&lead_in, "", ""));
    if n > 0 {
        out.push('\n');
        for (_, rc) in &backing {
            out.push_str(&rc.bullet);
        }
    }
    Ok(out)
}

fn type_sections(
    sf: &SpecFile,
    results: &Results,
    targets: &mut Targets,
) -> Result<(Vec<Section>, String), DocError> {
    let spec = &sf.spec;
    let mut rendered: BTreeMap<String, (Claim, RenderedClaim)> = BTreeMap::new();
    let mut order = Vec::new();
    for c in spec.claims() {
        let rc = render_claim(sf, &c, results, targets)?;
        order.push(c.meta.id.clone());
        rendered.insert(c.meta.id.clone(), (c, rc));
    }
    let by_kind = |f: &dyn Fn(&ClaimKind) -> bool| -> Vec<&(Claim, RenderedClaim)> {
        order
            .iter()
            .filter_map(|id| rendered.get(id))
            .filter(|(c, _)| f(&c.kind))
            .collect()
    };
    let mut sections = Vec::new();

    // Create rules.
    let create = by_kind(&|k| matches!(k, ClaimKind::Exists | ClaimKind::Create { .. }));
    let base = attrs(&spec.base);
    let (marks, unverified) = table_marks(&create);
    let mut rows = Vec::new();
    for (c, rc) in &create {
        let expect = match c.kind {
            ClaimKind::Create { expect } => expect,
            _ => Outcome::Ok,
        };
        rows.push(vec![attrs(&c.meta.map), cell(expect, c, rc.state, marks)]);
    }
    let mut body = rst::wrap(
        &format!(
            "``BPF_MAP_CREATE`` with {} and the base attributes {base}, changed as each row says:",
            rst::literal(&format!("map_type = {}", spec.map_type)),
        ),
        "",
        "",
    );
    body.push('\n');
    body.push_str(&rst::wrap(&unverified, "", ""));
    body.push('\n');
    body.push_str(&rst::simple_table(
        &["Attributes".into(), "Result".into()],
        &rows,
    ));
    body.push('\n');
    body.push_str(
        &create
            .iter()
            .map(|(_, r)| r.bullet.as_str())
            .collect::<String>(),
    );
    sections.push(Section {
        title: "Creating the map".into(),
        body,
    });

    // Commands.
    let cmds = by_kind(&|k| matches!(k, ClaimKind::Command { .. }));
    if !cmds.is_empty() {
        let (marks, unverified) = table_marks(&cmds);
        let mut grid = Grid::new("Command");
        // Rows in the uapi order of the commands, whatever the spec's order.
        let mut sorted = cmds.clone();
        sorted.sort_by_key(|(c, _)| match &c.kind {
            ClaimKind::Command { command, .. } => {
                Command::ALL.iter().position(|x| x == command).unwrap_or(99)
            }
            _ => 99,
        });
        for (c, rc) in &sorted {
            if let ClaimKind::Command {
                command,
                situation,
                flags,
                expect,
            } = &c.kind
            {
                let mut row = rst::literal(command.uapi());
                if !flags.is_default() {
                    row.push_str(&format!(" with {}", rst::literal(&flags.names())));
                }
                grid.put(
                    row,
                    situation_heading(spec, situation),
                    cell(*expect, c, rc.state, marks),
                );
            }
        }
        let mut body = rst::wrap(&unverified, "", "");
        body.push('\n');
        body.push_str(&grid.table());
        body.push('\n');
        body.push_str(
            &cmds
                .iter()
                .map(|(_, r)| r.bullet.as_str())
                .collect::<String>(),
        );
        sections.push(Section {
            title: "Commands".into(),
            body,
        });
    }

    // Update flags.
    let flags = by_kind(&|k| matches!(k, ClaimKind::UpdateFlag { .. }));
    if !flags.is_empty() {
        let (marks, unverified) = table_marks(&flags);
        let mut grid = Grid::new("Flag");
        for (c, rc) in &flags {
            if let ClaimKind::UpdateFlag {
                flags,
                situation,
                expect,
            } = &c.kind
            {
                grid.put(
                    rst::literal(&flags.names()),
                    situation_heading(spec, situation),
                    cell(*expect, c, rc.state, marks),
                );
            }
        }
        let mut body = rst::wrap(
            "``BPF_MAP_UPDATE_ELEM`` with each flag, from each starting state:",
            "",
            "",
        );
        body.push('\n');
        body.push_str(&rst::wrap(&unverified, "", ""));
        body.push('\n');
        body.push_str(&grid.table());
        body.push('\n');
        body.push_str(
            &flags
                .iter()
                .map(|(_, r)| r.bullet.as_str())
                .collect::<String>(),
        );
        sections.push(Section {
            title: "Update flags".into(),
            body,
        });
    }

    sections.push(Section {
        title: "Value layout".into(),
        body: statement(sf, "value_layout", &spec.value_layout, &rendered, targets)?,
    });
    sections.push(Section {
        title: "Iteration order".into(),
        body: statement(sf, "iteration", &spec.iteration, &rendered, targets)?,
    });

    let scen = by_kind(&|k| matches!(k, ClaimKind::Scenario));
    if !scen.is_empty() {
        sections.push(Section {
            title: "Further behaviour".into(),
            body: scen.iter().map(|(_, r)| r.bullet.as_str()).collect(),
        });
    }
    let atomicity = statement(sf, "atomicity", &spec.atomicity, &rendered, targets)?;
    Ok((sections, atomicity))
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The file an example refers to, found relative to the repository root:
/// the nearest ancestor of the spec file that holds it.
fn example_source(sf: &SpecFile, rel: &str) -> Option<String> {
    let start = std::fs::canonicalize(&sf.path).ok()?;
    start
        .ancestors()
        .skip(1)
        .map(|a| a.join(rel))
        .find(|p| p.is_file())
        .and_then(|p| std::fs::read_to_string(p).ok())
}

/// The Examples chapter: regions of files the suite compiles and runs
/// (`spec::prog::example_region`). An example shared by several types of a
/// page (same code) is shown once.
fn examples(specs: &[&SpecFile], targets: &mut Targets) -> Result<Vec<ExampleCtx>, DocError> {
    use mapspec_spec::prog::{example_region, split_example_ref};
    let mut out: Vec<ExampleCtx> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for sf in specs {
        for (i, e) in sf.spec.examples.iter().enumerate() {
            if !seen.insert((e.kernel.clone(), e.user.clone())) {
                continue;
            }
            let path = [key("examples"), Seg::Index(i)];
            let text = match &e.text {
                Some(t) => {
                    let r = sf.block(&with(&path, "text"), t)?;
                    targets.add(sf, r.targets)?;
                    r.text
                }
                None => String::new(),
            };
            let mut blocks = Vec::new();
            for (field, r) in [("kernel", &e.kernel), ("user", &e.user)] {
                let Some(r) = r else { continue };
                let (file, region) = split_example_ref(r);
                let fail = |message: String| DocError::Markdown {
                    file: sf.path.clone(),
                    line: sf.line_of(&with(&path, field), 1),
                    message,
                };
                let src = example_source(sf, file)
                    .ok_or_else(|| fail(format!("example file `{file}` not found")))?;
                let code = match region {
                    Some(name) => {
                        example_region(&src, name).map_err(|m| fail(format!("{file}: {m}")))?
                    }
                    None => src,
                };
                blocks.push(CodeBlock {
                    lang: "c",
                    code: code.trim_end().to_string(),
                });
            }
            let mut title = e.title.clone();
            if out.iter().any(|x| x.title == rst::escape(&title)) {
                title = format!("{title} ({})", sf.spec.map_type);
            }
            out.push(ExampleCtx {
                title: rst::escape(&title),
                text,
                blocks,
            });
        }
    }
    Ok(out)
}

pub fn build(specs: &[&SpecFile], results: &Results) -> Result<Page, DocError> {
    let mut targets = Targets::default();
    let types: Vec<&str> = specs.iter().map(|s| s.spec.map_type.as_str()).collect();
    let many = specs.len() > 1;
    let title = rst::escape(&join_and(
        &types.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
    ));

    let since_note = if many {
        let mut s = String::from(".. note::\n");
        for sf in specs {
            s.push_str(&rst::wrap(
                &format!(
                    "{} was introduced in kernel version {}",
                    rst::literal(&sf.spec.map_type),
                    sf.spec.since
                ),
                "   - ",
                "     ",
            ));
        }
        s
    } else {
        let sf = specs[0];
        format!(
            ".. note:: {} was introduced in kernel version {}\n",
            rst::literal(&sf.spec.map_type),
            sf.spec.since
        )
    };

    let kernels = results.kernels();
    let verification = if kernels.is_empty() {
        "Each claim listed under Usage and Semantics is checked by ``mapspec run`` \
         against a running kernel through bpf(2). No results were recorded when \
         this page was generated, so every claim is marked as not yet verified."
            .to_string()
    } else {
        format!(
            "Each claim listed under Usage and Semantics is checked by ``mapspec run`` \
             against a running kernel through bpf(2), and names the kernels it was \
             verified on, out of the results recorded for {}. A claim that no kernel \
             confirmed is marked as not yet verified, and a claim that failed on a \
             kernel shows what that kernel did instead.",
            join_and(&kernels)
        )
    };

    let mut intro = String::new();
    if many {
        for sf in specs {
            let r = sf.inline(&[key("summary")], &sf.spec.summary)?;
            targets.add(sf, r.targets)?;
            intro.push_str(&rst::wrap(
                &format!("{}: {}", rst::literal(&sf.spec.map_type), r.text),
                "- ",
                "  ",
            ));
        }
    } else {
        let sf = specs[0];
        let r = sf.block(&[key("description")], &sf.spec.description)?;
        targets.add(sf, r.targets)?;
        intro.push_str(&r.text);
    }
    intro.push('\n');
    intro.push_str(&rst::wrap(&verification, "", ""));

    let spec_refs: Vec<&MapSpec> = specs.iter().map(|s| &s.spec).collect();
    let wrapped = |v: Vec<usage::Func>| -> Vec<usage::Func> {
        v.into_iter()
            .map(|mut f| {
                f.text = rst::wrap(&f.text, "", "");
                f
            })
            .collect()
    };
    let kernel_funcs = wrapped(usage::kernel_side(&spec_refs));
    let user_funcs = wrapped(usage::userspace(&spec_refs));
    let userspace_intro = rst::wrap(
        "libbpf wraps each ``bpf()`` command in a function of ``<bpf/bpf.h>``; \
         these are the ones that do something on this page's map types. Each \
         returns 0 or a file descriptor on success, and a negative errno on \
         failure; the outcome of each command in each situation is listed under \
         Semantics.",
        "",
        "",
    );

    let mut concurrency = Vec::new();
    let mut type_ctxs = Vec::new();
    for sf in specs {
        let (sections, atomicity) = type_sections(sf, results, &mut targets)?;
        concurrency.push(Part {
            heading: many.then(|| rst::escape(&sf.spec.map_type)),
            body: atomicity,
        });
        let description = if many {
            let r = sf.block(&[key("description")], &sf.spec.description)?;
            targets.add(sf, r.targets)?;
            r.text
        } else {
            String::new()
        };
        type_ctxs.push(TypeCtx {
            heading: many.then(|| rst::escape(&sf.spec.map_type)),
            description,
            sections,
        });
    }

    let mut refs = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for sf in specs {
        for r in &sf.spec.references {
            if seen.insert((r.title.clone(), r.url.clone())) {
                refs.push(rst::wrap(
                    &format!("`{} <{}>`__", r.title.replace(['`', '<', '>'], ""), r.url),
                    "- ",
                    "  ",
                ));
            }
        }
    }
    refs.push(rst::wrap(
        "The specs these claims come from: ``spec/maps/`` in the mapspec repository; \
         the page for the concepts common to all map types: :doc:`ebpf_maps`.",
        "- ",
        "  ",
    ));

    Ok(Page {
        generated: crate::templates::generated_comment(
            &specs.iter().map(|s| s.repo_path()).collect::<Vec<_>>(),
            if many {
                "edit the specs"
            } else {
                "edit the spec"
            },
        ),
        title,
        since_note,
        intro,
        kernel_funcs,
        userspace_intro,
        user_funcs,
        concurrency,
        examples: examples(specs, &mut targets)?,
        semantics_intro: rst::wrap(
            "The tables give the outcome of each operation; below each table, \
             every claim is listed with the kernels it was verified on.",
            "",
            "",
        ),
        types: type_ctxs,
        sub: if many { "~" } else { "-" },
        references: refs.concat(),
        targets: targets.into_vec(),
    })
}

/// The inline RST of every claim of `sf`, for the coverage test.
pub fn claim_texts(sf: &SpecFile) -> Result<Vec<(String, String)>, DocError> {
    let results = Results::default();
    let mut targets = Targets::default();
    sf.spec
        .claims()
        .iter()
        .map(|c| render_claim(sf, c, &results, &mut targets).map(|r| (c.global_id.clone(), r.text)))
        .collect()
}
