//! The three Semantics tables of a page (create, commands, update flags),
//! one each for all the types of a family page. Rows are situations; the
//! result columns are one per group of types whose outcomes agree in every
//! row, so a single column when they all agree and one per type only where
//! they differ. Each cell records the claims it states (`Place::Cell`).

use super::claim;
use super::{Place, Placed};
use crate::model::{ClaimDoc, SpecDoc};
use crate::targets::Targets;
use crate::{rst, wording, DocError};
use mapspec_spec::{ClaimKind, Command, MapSpec, Outcome};
use std::collections::BTreeMap;

/// The types' names without the words they all share (the uapi enum's
/// prefix), for column headings.
pub(crate) fn short_names(types: &[&SpecDoc]) -> Vec<String> {
    let names: Vec<&str> = types.iter().map(|d| d.spec().map_type.as_str()).collect();
    let first = names.first().copied().unwrap_or("");
    let common = names.iter().fold(first.len(), |n, s| {
        first
            .bytes()
            .zip(s.bytes())
            .take(n)
            .take_while(|(a, b)| a == b)
            .count()
    });
    // Cut after the last `_` of the shared part, keeping whole words.
    let cut = first[..common].rfind('_').map_or(0, |i| i + 1);
    names
        .iter()
        .map(|n| n[cut.min(n.len())..].to_string())
        .collect()
}

/// A row's identity and its labels as shown.
struct Row {
    key: Vec<String>,
    shown: Vec<String>,
}

impl Row {
    fn same(labels: Vec<String>) -> Row {
        Row {
            key: labels.clone(),
            shown: labels,
        }
    }
}

/// A cell's claims: each one's outcome, its marks, and the claim.
type Cell<'a> = Vec<(String, String, &'a ClaimDoc)>;

/// One table being filled: label cells per row, and per row and type the
/// cell text with the claims it states.
struct Table<'a> {
    title: &'static str,
    labels: Vec<String>,
    /// What identifies a row: its labels, with situations by name.
    keys: Vec<Vec<String>>,
    /// What a row shows: its labels, with each type's words for its
    /// situation (joined by " / " where the types word it differently).
    rows: Vec<Vec<String>>,
    order: Vec<usize>,
    /// Per (row, type): the outcome, its marks, and the claim.
    cells: BTreeMap<(usize, usize), Cell<'a>>,
    /// The notes of the table's claims: row labels, type, note.
    notes: Vec<(Vec<String>, usize, String)>,
}

impl<'a> Table<'a> {
    fn new(title: &'static str, labels: &[&str]) -> Table<'a> {
        Table {
            title,
            labels: labels.iter().map(|s| s.to_string()).collect(),
            keys: Vec::new(),
            rows: Vec::new(),
            order: Vec::new(),
            cells: BTreeMap::new(),
            notes: Vec::new(),
        }
    }

    fn put(&mut self, row: Row, rank: usize, ty: usize, expect: Outcome, cd: &'a ClaimDoc) {
        let r = match self.keys.iter().position(|x| *x == row.key) {
            Some(r) => {
                for (shown, new) in self.rows[r].iter_mut().zip(&row.shown) {
                    if !shown.split(" / ").any(|s| s == new) {
                        shown.push_str(" / ");
                        shown.push_str(new);
                    }
                }
                r
            }
            None => {
                self.keys.push(row.key);
                self.rows.push(row.shown);
                self.order.push(rank);
                self.rows.len() - 1
            }
        };
        let text = wording::outcome(expect);
        let mark = claim::marks(cd).join("; ");
        self.cells
            .entry((r, ty))
            .or_default()
            .push((text, mark, cd));
    }

    /// The table as RST, the notes of its claims under it, and where each
    /// claim is stated.
    fn finish(self, types: &[&SpecDoc], placed: &mut Vec<Placed>) -> String {
        if self.rows.is_empty() {
            return String::new();
        }
        // Rows in rank order (uapi order of commands), then first use.
        let mut idx: Vec<usize> = (0..self.rows.len()).collect();
        idx.sort_by_key(|&r| (self.order[r], r));
        // A row's marks go into its own column when all its cells share
        // them (a version is usually one for the whole row), else into
        // each cell.
        let row_mark = |r: usize| -> Option<String> {
            let mut marks = self
                .cells
                .range((r, 0)..(r + 1, 0))
                .flat_map(|(_, v)| v.iter().map(|(_, m, _)| m));
            let first = marks.next()?;
            marks.all(|m| m == first).then(|| first.clone())
        };
        let row_marks: Vec<Option<String>> = (0..self.rows.len()).map(row_mark).collect();
        let cell_text = |r: usize, text: &str, mark: &str| -> String {
            if row_marks[r].is_some() || mark.is_empty() {
                text.to_string()
            } else {
                format!("{text} ({mark})")
            }
        };
        let cell = |r: usize, t: usize| -> Option<String> {
            self.cells.get(&(r, t)).map(|v| {
                let mut texts: Vec<String> = v.iter().map(|(s, m, _)| cell_text(r, s, m)).collect();
                texts.dedup();
                texts.join("; ")
            })
        };
        let versions = row_marks
            .iter()
            .any(|m| m.as_deref().is_some_and(|m| !m.is_empty()));
        // Types whose column is the same in every row share one column.
        let mut groups: Vec<(Vec<usize>, Vec<Option<String>>)> = Vec::new();
        for t in 0..types.len() {
            let col: Vec<Option<String>> = idx.iter().map(|&r| cell(r, t)).collect();
            if col.iter().all(Option::is_none) {
                continue;
            }
            match groups.iter_mut().find(|(_, c)| *c == col) {
                Some((members, _)) => members.push(t),
                None => groups.push((vec![t], col)),
            }
        }
        let short = short_names(types);
        let heading = |members: &[usize]| -> String {
            if groups.len() == 1 {
                "Result".into()
            } else {
                members
                    .iter()
                    .map(|&t| short[t].clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let mut header = self.labels.clone();
        header.extend(groups.iter().map(|(m, _)| heading(m)));
        if versions {
            header.push("Versions".into());
        }
        // Rows of one command or flag whose cells agree in every column
        // are one row, its situations listed: each fact once.
        let mut merged: Vec<(Vec<usize>, Vec<String>)> = Vec::new();
        for (i, &r) in idx.iter().enumerate() {
            if let Some((members, labels)) = merged.last_mut() {
                let p = members[0];
                let pi = idx.iter().position(|&x| x == p).unwrap_or(i);
                // A situation with attributes of its own ("key absent, a
                // value holding ...") reads badly in a list: left alone.
                let plain = |x: usize| !self.rows[x][1].contains(',');
                let same = self.labels.len() == 2
                    && plain(p)
                    && plain(r)
                    && self.rows[p][0] == self.rows[r][0]
                    && row_marks[p] == row_marks[r]
                    && groups.iter().all(|(_, col)| col[pi] == col[i]);
                if same {
                    members.push(r);
                    labels[1] = format!("{}, {}", labels[1], self.rows[r][1]);
                    continue;
                }
            }
            merged.push((vec![r], self.rows[r].clone()));
        }
        let mut rows = Vec::new();
        for (g, (members_r, labels)) in merged.iter().enumerate() {
            let r = members_r[0];
            let i = idx.iter().position(|&x| x == r).unwrap_or(0);
            let mut row = labels.clone();
            // A repeated first label (the same command) is left blank.
            if g > 0 && self.labels.len() > 1 && merged[g - 1].1[0] == row[0] {
                row[0] = String::new();
            }
            for (members, col) in &groups {
                // A type with no claim for this row: the cell says nothing.
                row.push(col[i].clone().unwrap_or_default());
                for &t in members {
                    for &mr in members_r {
                        for (_, _, cd) in self.cells.get(&(mr, t)).into_iter().flatten() {
                            placed.push(Placed {
                                claim: cd.claim.global_id.clone(),
                                place: Place::Cell {
                                    table: self.title.into(),
                                    row: labels.clone(),
                                    column: heading(members),
                                    text: cell(mr, t).unwrap_or_default(),
                                },
                            });
                        }
                    }
                }
            }
            if versions {
                row.push(row_marks[r].clone().unwrap_or_default());
            }
            rows.push(row);
        }
        let mut out = rst::list_table(&header, &rows);
        // Each note once, naming its types where not all of the page's.
        let mut grouped: Vec<(&Vec<String>, &String, Vec<usize>)> = Vec::new();
        for (row, t, note) in &self.notes {
            match grouped.iter_mut().find(|(r, n, _)| *r == row && *n == note) {
                Some((_, _, ts)) => ts.push(*t),
                None => grouped.push((row, note, vec![*t])),
            }
        }
        let mut notes = String::new();
        for (row, note, ts) in grouped {
            let of = if ts.len() < types.len() {
                let names: Vec<&str> = ts.iter().map(|&t| short[t].as_str()).collect();
                format!(" ({})", names.join(", "))
            } else {
                String::new()
            };
            notes.push_str(&rst::wrap(
                &format!("{}{of}: {note}", row.join(", ")),
                "- ",
                "  ",
            ));
        }
        if !notes.is_empty() {
            out.push('\n');
            out.push_str(&notes);
        }
        out
    }
}

/// A situation's row label: by name as the key (types of a family that
/// share a situation name share the row), in the type's words as shown.
fn situation(spec: &MapSpec, name: &str, cd: &ClaimDoc) -> (String, String) {
    let words = spec
        .situations
        .get(name)
        .map(|s| rst::prose(&s.text))
        .unwrap_or_else(|| rst::prose(name));
    let mut extra = String::new();
    let over = claim::attrs(&cd.claim.meta.map);
    if !over.is_empty() {
        extra.push_str(&format!(", {over}"));
    }
    extra.push_str(&claim::caps(cd));
    (format!("{name}{extra}"), format!("{words}{extra}"))
}

/// The base attributes sentence of the create table.
fn base_sentence(types: &[&SpecDoc]) -> String {
    let bases: Vec<String> = types.iter().map(|d| claim::attrs(&d.spec().base)).collect();
    let short = short_names(types);
    let base = if bases.iter().all(|b| *b == bases[0]) {
        bases[0].clone()
    } else {
        let per: Vec<String> = types
            .iter()
            .zip(&bases)
            .enumerate()
            .map(|(t, (_, b))| format!("{}: {b}", rst::literal(&short[t])))
            .collect();
        format!("({})", per.join("; "))
    };
    format!("Each row changes the base attributes {base}:")
}

/// The create, command and update-flag sections of a page: (title, body).
pub(crate) fn tables(
    types: &[&SpecDoc],
    targets: &mut Targets,
    placed: &mut Vec<Placed>,
) -> Result<Vec<(&'static str, String)>, DocError> {
    let mut create = Table::new("Creating a map", &["Attributes"]);
    let mut cmds = Table::new("Commands", &["Command", "Situation"]);
    let mut flags = Table::new("Update flags", &["Flags", "Situation"]);
    for (t, sd) in types.iter().enumerate() {
        let sf = sd.file;
        let spec = sd.spec();
        for cd in &sd.claims {
            let c = &cd.claim;
            let (table, row, rank, expect) = match &c.kind {
                ClaimKind::Exists => (
                    &mut create,
                    Row::same(vec!["base attributes".to_string()]),
                    0,
                    Outcome::Ok,
                ),
                ClaimKind::Create { expect } => {
                    let a = claim::attrs(&c.meta.map);
                    let a = if a.is_empty() {
                        "base attributes".into()
                    } else {
                        a
                    };
                    (
                        &mut create,
                        Row::same(vec![format!("{a}{}", claim::caps(cd))]),
                        1,
                        *expect,
                    )
                }
                ClaimKind::Command {
                    command,
                    situation: sit,
                    flags: f,
                    expect,
                } => {
                    let mut label = rst::literal(command.uapi());
                    if !f.is_default() {
                        label.push_str(&format!(" with {}", rst::literal(&f.names())));
                    }
                    let rank = Command::ALL
                        .iter()
                        .position(|x| x == command)
                        .unwrap_or(Command::ALL.len());
                    let (key, shown) = situation(spec, sit, cd);
                    (
                        &mut cmds,
                        Row {
                            key: vec![label.clone(), key],
                            shown: vec![label, shown],
                        },
                        rank,
                        *expect,
                    )
                }
                ClaimKind::UpdateFlag {
                    flags: f,
                    situation: sit,
                    expect,
                } => {
                    let (key, shown) = situation(spec, sit, cd);
                    let label = rst::literal(&f.names());
                    (
                        &mut flags,
                        Row {
                            key: vec![label.clone(), key],
                            shown: vec![label, shown],
                        },
                        0,
                        *expect,
                    )
                }
                ClaimKind::Scenario => continue,
            };
            if let Some(n) = claim::note(sf, cd, targets)? {
                table.notes.push((row.shown.clone(), t, n));
            }
            table.put(row, rank, t, expect, cd);
        }
    }
    let mut out = Vec::new();
    let mut body = rst::wrap(&base_sentence(types), "", "");
    body.push('\n');
    body.push_str(&create.finish(types, placed));
    out.push(("Creating a map", body));
    let t = cmds.finish(types, placed);
    if !t.is_empty() {
        out.push(("Commands", t));
    }
    let t = flags.finish(types, placed);
    if !t.is_empty() {
        let mut body = rst::wrap(
            "``BPF_MAP_UPDATE_ELEM`` with each flag, from each starting state:",
            "",
            "",
        );
        body.push('\n');
        body.push_str(&t);
        out.push(("Update flags", body));
    }
    Ok(out)
}
