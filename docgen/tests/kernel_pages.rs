//! The kernel pages as a kernel reviewer gets them: their size, each fact
//! once, verification said once per page, no project text, every claim
//! reachable where its page states it, and every prose statement printed
//! as the kind of statement its spec makes it. The size and text checks
//! read the committed Documentation/bpf; the others render the real specs
//! with the committed results.

use mapspec_docgen::{self as docgen, Place};
use mapspec_spec::evidence::{self, Backing};
use mapspec_spec::{Evidence, MapSpec};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn committed() -> BTreeMap<String, String> {
    let dir = root().join("Documentation/bpf");
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "rst") {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            out.insert(name, std::fs::read_to_string(&p).unwrap());
        }
    }
    assert!(
        out.len() > 20,
        "Documentation/bpf holds {} pages",
        out.len()
    );
    out
}

struct Rendered {
    specs: Vec<docgen::SpecFile>,
    pages: docgen::Pages,
    layouts: Vec<docgen::Layout>,
}

fn rendered() -> Rendered {
    let specs = docgen::load_specs(&root().join("spec/maps")).unwrap();
    let reports = docgen::load_results(&[
        root().join("kernel-matrix/results"),
        root().join("results/host"),
    ])
    .unwrap();
    let model = docgen::DocModel::new(&specs, &reports).unwrap();
    let pages = model.render().unwrap();
    let layouts = model.layouts().unwrap();
    drop(model);
    Rendered {
        specs,
        pages,
        layouts,
    }
}

fn norm(s: &str) -> String {
    s.replace(docgen::rst::NBSP, " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn map_hash_page_is_at_most_20_kb() {
    let pages = committed();
    let n = pages["map_hash.rst"].len();
    assert!(n <= 20_000, "map_hash.rst is {n} bytes");
}

#[test]
fn documentation_bpf_is_at_most_200_kb() {
    let pages = committed();
    let total: usize = pages.values().map(String::len).sum();
    let mut sizes: Vec<(usize, &String)> = pages.iter().map(|(n, t)| (t.len(), n)).collect();
    sizes.sort();
    assert!(
        total <= 200_000,
        "Documentation/bpf is {total} bytes; largest: {:?}",
        &sizes[sizes.len().saturating_sub(5)..]
    );
}

#[test]
fn verification_is_said_at_most_once_per_page() {
    for (name, text) in committed() {
        let t = norm(&text);
        assert!(t.matches("checked on Linux").count() <= 1, "{name}");
        assert!(!t.contains("Verified on"), "{name}: per-claim verification");
        assert!(!t.contains("Not yet verified"), "{name}");
        assert!(!t.contains("Not yet specified"), "{name}");
    }
}

/// Whole words, case-insensitive.
fn has_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .any(|w| w.eq_ignore_ascii_case(word))
}

#[test]
fn nothing_project_internal_is_on_a_page() {
    for (name, text) in committed() {
        for s in [
            "mapspec_args",
            "CHECK(",
            "MAPSPEC_",
            "conformance/",
            "spec/maps",
        ] {
            assert!(!text.contains(s), "{name} contains `{s}`");
        }
        for w in ["our", "we"] {
            let line = text.lines().find(|l| has_word(l, w));
            assert!(line.is_none(), "{name}: `{w}` in {line:?}");
        }
        assert!(!text.contains("run ``mapspec docs``"), "{name}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0], ".. SPDX-License-Identifier: GPL-2.0-only",
            "{name}"
        );
        // The header: SPDX, then one comment line naming the generator.
        let comment: Vec<&&str> = lines[1..]
            .iter()
            .take_while(|l| l.is_empty() || l.starts_with(".."))
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(comment.len(), 1, "{name}: header {comment:?}");
        assert!(comment[0].contains(docgen::MARKER), "{name}");
    }
}

/// The bullets of a page, each joined onto one line.
fn bullets(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    // The items of a list table are its cells, not bullets.
    let mut in_table = false;
    for l in text.lines() {
        let indent = l.len() - l.trim_start().len();
        if l.starts_with(".. list-table::") {
            in_table = true;
            out.extend(cur.take().map(|c| c.1));
            continue;
        }
        if in_table {
            if l.is_empty() || indent > 0 {
                continue;
            }
            in_table = false;
        }
        if let Some(rest) = l.trim_start().strip_prefix("- ") {
            out.extend(cur.take().map(|c| c.1));
            cur = Some((indent, rest.to_string()));
        } else if let Some((i, s)) = cur.as_mut() {
            if !l.trim().is_empty() && indent > *i {
                s.push(' ');
                s.push_str(l.trim());
            } else {
                out.extend(cur.take().map(|c| c.1));
            }
        }
    }
    out.extend(cur.map(|c| c.1));
    out.iter().map(|b| norm(b)).collect()
}

#[test]
fn no_bullet_restates_a_table_row() {
    let r = rendered();
    for layout in &r.layouts {
        let page = &r.pages[&layout.page];
        let bs = bullets(page);
        // No bullet is a word-for-word copy of another on the same page.
        let mut seen = std::collections::BTreeSet::new();
        for b in &bs {
            assert!(seen.insert(b), "{}: bullet twice: {b}", layout.page);
        }
        // No bullet says what a claim stated by a table cell says.
        for p in &layout.claims {
            if !matches!(p.place, Place::Cell { .. }) {
                continue;
            }
            let (spec, id) = p.claim.split_once('/').unwrap();
            let sf = r.specs.iter().find(|s| s.spec.name == spec).unwrap();
            let claim = sf
                .spec
                .claims()
                .into_iter()
                .find(|c| c.meta.id == id)
                .unwrap();
            let text = norm(
                &docgen::markdown::inline_to_rst(&claim.meta.text)
                    .unwrap()
                    .text,
            );
            for b in &bs {
                assert!(
                    !b.starts_with(&text),
                    "{}: a bullet restates the cell of {}: {b}",
                    layout.page,
                    p.claim
                );
            }
        }
    }
}

/// One list table of a page: the section it is in, its heading row and
/// its rows, each cell's lines joined, a blank first cell filled from the
/// row above (the page leaves a repeated command blank).
struct Table {
    section: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn tables(text: &str) -> Vec<Table> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut section = String::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if i + 1 < lines.len()
            && !l.is_empty()
            && lines[i + 1].len() == l.len()
            && lines[i + 1].chars().all(|c| c == '-')
        {
            section = l.to_string();
        }
        if l != ".. list-table::" {
            i += 1;
            continue;
        }
        // Options, then the rows; the table ends at its first unindented line.
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut j = i + 1;
        while j < lines.len() && (lines[j].is_empty() || lines[j].starts_with(' ')) {
            let t = lines[j];
            if let Some(c) = t.strip_prefix("   * -") {
                rows.push(vec![c.trim().to_string()]);
            } else if let Some(c) = t.strip_prefix("     -") {
                rows.last_mut()
                    .expect("a cell before any row")
                    .push(c.trim().to_string());
            } else if t.starts_with("       ") {
                let cell = rows.last_mut().and_then(|r| r.last_mut()).expect("a cell");
                cell.push(' ');
                cell.push_str(t.trim());
            }
            j += 1;
        }
        assert!(!rows.is_empty(), "a list table without rows in {section}");
        let header = rows.remove(0);
        for k in 0..rows.len() {
            assert_eq!(rows[k].len(), header.len(), "{section}: row {:?}", rows[k]);
            if k > 0 && rows[k][0].is_empty() {
                rows[k][0] = rows[k - 1][0].clone();
            }
        }
        out.push(Table {
            section: section.clone(),
            header,
            rows,
        });
        i = j;
    }
    out
}

#[test]
fn every_claim_is_reachable_where_its_page_states_it() {
    let r = rendered();
    let mut placed = 0;
    for sf in &r.specs {
        for claim in sf.spec.claims() {
            // A claim about the system call is on maps.rst, any other on
            // its spec's page.
            let page_name = match claim.meta.scope {
                mapspec_spec::Scope::Map => format!("{}.rst", sf.spec.page),
                mapspec_spec::Scope::Syscall => "maps.rst".to_string(),
            };
            let page = &r.pages[&page_name];
            let page_tables = tables(page);
            let flat = norm(page);
            let places: Vec<&Place> = r
                .layouts
                .iter()
                .flat_map(|l| l.claims.iter().map(move |p| (l, p)))
                .filter(|(_, p)| p.claim == claim.global_id)
                .map(|(l, p)| {
                    assert_eq!(l.page, page_name, "{} is on {}", claim.global_id, l.page);
                    &p.place
                })
                .collect();
            assert!(!places.is_empty(), "{} is on no page", claim.global_id);
            for place in places {
                placed += 1;
                match place {
                    Place::Cell {
                        table,
                        row,
                        column,
                        text,
                    } => {
                        let row: Vec<String> = row.iter().map(|c| norm(c)).collect();
                        let text = norm(text);
                        let found = page_tables.iter().any(|t| {
                            t.section == *table
                                && t.header.iter().position(|h| h == column).is_some_and(|c| {
                                    t.rows.iter().any(|r| {
                                        r[..row.len()] == row[..] && r.get(c) == Some(&text)
                                    })
                                })
                        });
                        assert!(
                            found,
                            "{}: no cell `{text}` in row {row:?}, column `{column}` of `{table}` on {page_name}",
                            claim.global_id
                        );
                    }
                    Place::Sentence(s) => assert!(
                        flat.contains(&norm(s)),
                        "{}: `{s}` is not on {page_name}",
                        claim.global_id
                    ),
                    // Measurements belong to the report, which shows every
                    // claim; only counting checks may be sent there.
                    Place::Report => assert!(
                        claim.requires.statistical,
                        "{} is sent to the report but measures nothing",
                        claim.global_id
                    ),
                }
            }
        }
    }
    assert!(placed > 1000, "only {placed} claims placed");
}

/// The kind a statement has by its spec: asserted only if every claim it
/// names asserts its subject, observed if only counts back it.
fn kind_by_spec(spec: &MapSpec, field: &str, st: &mapspec_spec::Statement) -> Evidence {
    let backing = |id: &str| {
        if evidence::STATEMENTS.contains(&field) {
            evidence::backing(spec, field, id)
        } else {
            evidence::general_backing(spec, id)
        }
    };
    let checked: Vec<Option<Backing>> = st.checked_by.iter().map(|id| backing(id)).collect();
    if !checked.is_empty() && checked.iter().all(|b| *b == Some(Backing::Asserts)) {
        Evidence::Asserted
    } else if !st.observed_by.is_empty() || checked.contains(&Some(Backing::Counts)) {
        Evidence::Observed
    } else {
        Evidence::Explained
    }
}

fn statement_at(spec: &MapSpec, field: &str) -> mapspec_spec::Statement {
    let index = |name: &str| -> Option<usize> {
        field
            .strip_prefix(name)?
            .strip_prefix('[')?
            .split(']')
            .next()?
            .parse()
            .ok()
    };
    if let Some(i) = index("key_facts") {
        return spec.key_facts[i].clone();
    }
    if let Some(i) = index("notes") {
        return spec.notes[i].statement();
    }
    evidence::statement(spec, field)
        .unwrap_or_else(|| panic!("{}: no statement `{field}`", spec.name))
        .clone()
}

#[test]
fn every_page_statement_is_printed_as_the_kind_its_spec_gives_it() {
    let r = rendered();
    let mut n = 0;
    for layout in &r.layouts {
        let page = norm(&r.pages[&layout.page]);
        for ps in &layout.statements {
            n += 1;
            let sf = r.specs.iter().find(|s| s.spec.name == ps.spec).unwrap();
            let st = statement_at(&sf.spec, &ps.field);
            let kind = kind_by_spec(&sf.spec, &ps.field, &st);
            assert_eq!(ps.kind, kind, "{} {}", ps.spec, ps.field);
            let want = match kind {
                Evidence::Asserted => ["", "*Differs between kernels:* "],
                Evidence::Observed => ["*Observed:* ", "*Differs between kernels:* "],
                Evidence::Explained => ["*Explanation:* ", "*Explanation:* "],
            };
            assert!(
                want.contains(&ps.lead),
                "{} {}: lead `{}` for {kind:?}",
                ps.spec,
                ps.field,
                ps.lead
            );
            assert!(
                norm(&ps.text).starts_with(ps.lead.trim_end()),
                "{} {}",
                ps.spec,
                ps.field
            );
            assert!(
                page.contains(&norm(&ps.text)),
                "{} {} not on {}",
                ps.spec,
                ps.field,
                layout.page
            );
        }
        // Nothing on a map page is called verified: the one sentence says
        // what was checked, and counting claims are only observed.
        let lower = page.to_lowercase();
        for s in ["verified on", "verified:", "(verified)", "verified through"] {
            assert!(!lower.contains(s), "{}: `{s}`", layout.page);
        }
    }
    assert!(n > 100, "only {n} statements");
}

/// A version read from an upstream commit names that commit on its page
/// (References), so "from the kernel source" can be followed.
#[test]
fn every_version_commit_is_named_on_its_page() {
    let r = rendered();
    let mut named = 0;
    for f in &r.specs {
        let spec: &MapSpec = &f.spec;
        for c in spec.claims() {
            let m = &c.meta;
            // A claim about the system call is stated on maps.rst.
            let page_name = match m.scope {
                mapspec_spec::Scope::Map => format!("{}.rst", spec.page),
                mapspec_spec::Scope::Syscall => "maps.rst".to_string(),
            };
            let flat = norm(&r.pages[&page_name]);
            if let Some(mapspec_spec::VersionSource::Commit { commit, .. }) = &m.source {
                if m.since.is_some() || m.until.is_some() {
                    assert!(
                        flat.contains(&format!("commit {commit}")),
                        "{}: {} is from commit {commit}, which {page_name} does not name",
                        spec.name,
                        m.id,
                    );
                    named += 1;
                }
            }
        }
    }
    assert!(named > 0, "no claim has a version from a commit");
}
