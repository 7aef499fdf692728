//! The Semantics chapter of one map type: the create, command and update
//! flag tables with the claims under each, the statements, and the
//! further behaviour.

use super::claim::{self, statement, RenderedClaim};
use super::Section;
use crate::model::SpecDoc;
use crate::targets::Targets;
use crate::wording::{self, State};
use crate::{rst, DocError};
use mapspec_spec::{Claim, ClaimKind, Command, CreateAttrs, Datum, MapSpec, Outcome};
use std::collections::BTreeMap;

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
        s.push_str(state.mark());
    }
    s
}

/// Whether a table needs per-cell marks, and the sentence that replaces
/// them when no cell of the table is verified.
fn table_marks(claims: &[&(&Claim, RenderedClaim)]) -> (bool, String) {
    if claims.iter().all(|(_, r)| r.state == State::Unverified) {
        (
            false,
            format!(
                "{}no outcome in this table has been confirmed on a kernel yet.\n",
                State::Unverified.lead()
            ),
        )
    } else {
        (true, String::new())
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

/// The Semantics sections of one map type, and its atomicity statement.
pub(crate) fn type_sections(
    sd: &SpecDoc,
    targets: &mut Targets,
) -> Result<(Vec<Section>, String), DocError> {
    let sf = sd.file;
    let spec = &sf.spec;
    let mut rendered: BTreeMap<String, (&Claim, RenderedClaim)> = BTreeMap::new();
    let mut order = Vec::new();
    for cd in &sd.claims {
        let rc = claim::rendered(sf, cd, targets)?;
        order.push(cd.claim.meta.id.clone());
        rendered.insert(cd.claim.meta.id.clone(), (&cd.claim, rc));
    }
    let by_kind = |f: &dyn Fn(&ClaimKind) -> bool| -> Vec<&(&Claim, RenderedClaim)> {
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
