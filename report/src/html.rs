//! The pages: one context per page, filled into the Tera templates of
//! report/templates/ (compiled in). Tera escapes every value, since claim
//! texts and traces come from data.

use crate::matrix::{provenance, Cell, Group, Mark, Matrix, Row, TypeMatrix};
use crate::versions::{self, Feature};
use crate::{ReportError, Site};
use mapspec_docgen::tera_setup::{self, TemplateError};
use serde::Serialize;
use tera::Context;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("legend.html", include_str!("../templates/legend.html")),
    ("filters.html", include_str!("../templates/filters.html")),
    ("kernels.html", include_str!("../templates/kernels.html")),
    ("index.html", include_str!("../templates/index.html")),
    ("type.html", include_str!("../templates/type.html")),
    ("versions.html", include_str!("../templates/versions.html")),
    (
        "measurements.html",
        include_str!("../templates/measurements.html"),
    ),
];

/// Files written beside the pages.
const ASSETS: &[(&str, &str)] = &[
    ("report.css", include_str!("../assets/report.css")),
    ("report.js", include_str!("../assets/report.js")),
];

fn tera_error(name: &str, e: tera::Error) -> ReportError {
    TemplateError::new(name, &e).into()
}

impl From<TemplateError> for ReportError {
    fn from(TemplateError { name, message }: TemplateError) -> ReportError {
        ReportError::Template { name, message }
    }
}

pub fn render(m: &Matrix) -> Result<Site, ReportError> {
    let tera = tera_setup::compile(TEMPLATES, vec![".html"])?;
    let mut site = Site::new();
    let page = |name: &str, ctx: &Context| tera.render(name, ctx).map_err(|e| tera_error(name, e));
    let mut base = Context::new();
    base.insert("kernels", &m.kernels);
    let names: Vec<&str> = m.types.iter().map(|t| t.spec.name.as_str()).collect();
    base.insert("type_names", &names);

    let mut ctx = base.clone();
    ctx.insert("type_filter", &true);
    ctx.insert("types", &index_rows(m));
    site.insert("index.html".into(), page("index.html", &ctx)?);

    for t in &m.types {
        let name = &t.spec.name;
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(ReportError::BadName(name.clone()));
        }
        let mut ctx = base.clone();
        ctx.insert("type_filter", &false);
        type_page(m, t, &mut ctx);
        site.insert(format!("{name}.html"), page("type.html", &ctx)?);
    }

    let mut ctx = base.clone();
    ctx.insert("type_filter", &true);
    ctx.insert("kinds", &version_kinds(m));
    site.insert("versions.html".into(), page("versions.html", &ctx)?);

    let mut ctx = base;
    ctx.insert("type_filter", &true);
    ctx.insert("claims", &measurements(m));
    site.insert("measurements.html".into(), page("measurements.html", &ctx)?);

    for (name, text) in ASSETS {
        site.insert((*name).into(), (*text).into());
    }
    Ok(site)
}

/// `ok@0 refusal@1 ...`: what the filters match a row against.
fn marks<'a>(cells: impl Iterator<Item = (usize, Mark)> + 'a) -> String {
    let mut v: Vec<String> = cells.map(|(k, m)| format!("{}@{k}", m.key())).collect();
    v.sort();
    v.dedup();
    v.join(" ")
}

#[derive(Serialize)]
struct Count {
    key: &'static str,
    symbol: &'static str,
    label: &'static str,
    n: usize,
}

#[derive(Serialize)]
struct IndexCell {
    counts: Vec<Count>,
    differs: bool,
}

#[derive(Serialize)]
struct IndexRow {
    name: String,
    map_type: String,
    claims: usize,
    marks: String,
    differs: bool,
    cells: Vec<IndexCell>,
}

fn index_rows(m: &Matrix) -> Vec<IndexRow> {
    m.types
        .iter()
        .map(|t| {
            let cells: Vec<IndexCell> = (0..m.kernels.len())
                .map(|k| IndexCell {
                    counts: Mark::ALL
                        .iter()
                        .map(|&mark| Count {
                            key: mark.key(),
                            symbol: mark.symbol(),
                            label: mark.label(),
                            n: t.count(k, mark),
                        })
                        .filter(|c| c.n > 0)
                        .collect(),
                    differs: t.count(k, Mark::Differs) > 0,
                })
                .collect();
            IndexRow {
                name: t.spec.name.clone(),
                map_type: t.spec.map_type.clone(),
                claims: t.rows.len(),
                marks: marks(
                    t.rows
                        .iter()
                        .flat_map(|r| r.cells.iter().enumerate().map(|(k, c)| (k, c.mark))),
                ),
                differs: cells.iter().any(|c| c.differs),
                cells,
            }
        })
        .collect()
}

#[derive(Serialize)]
struct CellCtx<'a> {
    id: String,
    key: &'static str,
    symbol: &'static str,
    label: &'static str,
    kernel: &'a str,
    outcome: &'a str,
    reason: Option<&'a str>,
    decisive: Option<&'a crate::Decisive>,
    expected: Option<&'a str>,
    observed: Option<&'a str>,
    counts: Vec<(String, String)>,
    budget: Option<String>,
}

#[derive(Serialize)]
struct RowCtx<'a> {
    id: &'a str,
    anchor: String,
    label: Option<String>,
    text: &'a str,
    marks: String,
    differs: bool,
    differs_on: String,
    provenance: Vec<String>,
    cells: Vec<CellCtx<'a>>,
}

#[derive(Serialize)]
struct GroupCtx {
    id: &'static str,
    title: &'static str,
    /// Rendered in Rust, escaped by [`esc`]: thousands of cells with their
    /// evidence are the bulk of the site, and a template loop over them
    /// took most of the 300 ms budget.
    rows: Vec<String>,
}

/// The counts of a statistical result and its budget, from the results
/// file's typed `measurement` (every field but its kind).
pub(crate) fn counts(c: &Cell) -> (Vec<(String, String)>, Option<String>) {
    let Some(m) = c.result.and_then(|r| r.measurement.as_ref()) else {
        return (Vec::new(), None);
    };
    let budget = Some(m.budget_ms().to_string());
    let serde_json::Value::Object(o) = serde_json::to_value(m).unwrap_or_default() else {
        return (Vec::new(), budget);
    };
    let v = o
        .into_iter()
        .filter(|(k, _)| k != "kind" && k != "budget_ms")
        .map(|(k, val)| {
            let s = match val {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (k.replace('_', " "), s)
        })
        .collect();
    (v, budget)
}

fn anchor(row: &Row) -> String {
    format!("claim-{}", row.claim.meta.id)
}

fn row_ctx<'a>(m: &'a Matrix, t: &'a TypeMatrix, row: &'a Row) -> RowCtx<'a> {
    let cells = row
        .cells
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let (counts, budget) = counts(c);
            CellCtx {
                id: format!("{}@{}", row.claim.meta.id, m.kernels[k].version),
                key: c.mark.key(),
                symbol: c.mark.symbol(),
                label: c.mark.label(),
                kernel: &m.kernels[k].version,
                outcome: &c.outcome,
                reason: c.reason.as_deref(),
                decisive: c.decisive.as_ref(),
                expected: c.result.map(|r| r.expected.as_str()),
                observed: c.result.map(|r| r.observed.as_str()),
                counts,
                budget,
            }
        })
        .collect();
    let _ = t;
    let label = row.label();
    RowCtx {
        id: &row.claim.global_id,
        anchor: anchor(row),
        label: (label != row.claim.meta.id).then_some(label),
        text: &row.claim.meta.text,
        marks: marks(row.cells.iter().enumerate().map(|(k, c)| (k, c.mark))),
        differs: row.differs(),
        differs_on: m
            .kernels
            .iter()
            .zip(&row.cells)
            .filter(|(_, c)| c.mark == Mark::Differs)
            .map(|(k, _)| k.version.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        provenance: provenance(m, row).iter().map(|p| p.describe()).collect(),
        cells,
    }
}

fn type_page(m: &Matrix, t: &TypeMatrix, ctx: &mut Context) {
    let groups: Vec<GroupCtx> = Group::ALL
        .iter()
        .map(|&g| GroupCtx {
            id: match g {
                Group::Create => "create",
                Group::Commands => "commands",
                Group::UpdateFlags => "update-flags",
                Group::Scenarios => "further-behaviour",
            },
            title: g.title(),
            rows: t
                .rows
                .iter()
                .filter(|r| r.group == g)
                .map(|r| row_html(&row_ctx(m, t, r)))
                .collect(),
        })
        .filter(|g| !g.rows.is_empty())
        .collect();
    ctx.insert("spec", &SpecCtx::of(t));
    ctx.insert("rows", &t.rows.len());
    ctx.insert("differs", &t.rows.iter().filter(|r| r.differs()).count());
    ctx.insert("groups", &groups);
}

#[derive(Serialize)]
struct SpecCtx<'a> {
    name: &'a str,
    map_type: &'a str,
    summary: &'a str,
    since: String,
}

impl<'a> SpecCtx<'a> {
    fn of(t: &'a TypeMatrix) -> Self {
        SpecCtx {
            name: &t.spec.name,
            map_type: &t.spec.map_type,
            summary: t.spec.summary.trim(),
            since: t.spec.since.to_string(),
        }
    }
}

#[derive(Serialize)]
struct KindCtx {
    title: &'static str,
    singular: &'static str,
    features: Vec<FeatureCtx>,
}

#[derive(Serialize)]
struct FeatureCtx {
    name: String,
    types: Vec<FeatureTypeCtx>,
}

#[derive(Serialize)]
struct FeatureTypeCtx {
    spec: String,
    first: Option<String>,
    older: String,
    marks: String,
}

fn version_kinds(m: &Matrix) -> Vec<KindCtx> {
    let all: Vec<Feature> = versions::features(m);
    [
        ("Commands", "Command"),
        ("Update flags", "Flag"),
        ("Create flags", "Flag"),
    ]
    .iter()
    .map(|&(title, singular)| KindCtx {
        title,
        singular,
        features: all
            .iter()
            .filter(|f| f.kind == title)
            .map(|f| FeatureCtx {
                name: f.name.clone(),
                types: f
                    .types
                    .iter()
                    .map(|t| FeatureTypeCtx {
                        spec: t.spec.clone(),
                        first: t.first.clone(),
                        older: t.older.clone(),
                        marks: String::new(),
                    })
                    .collect(),
            })
            .collect(),
    })
    .filter(|k| !k.features.is_empty())
    .collect()
}

#[derive(Serialize)]
struct MeasureRow<'a> {
    k: usize,
    kernel: &'a str,
    key: &'static str,
    symbol: &'static str,
    label: &'static str,
    reason: Option<&'a str>,
    budget: Option<String>,
    values: Vec<String>,
}

#[derive(Serialize)]
struct MeasureClaim<'a> {
    id: &'a str,
    spec: &'a str,
    anchor: String,
    link: String,
    text: &'a str,
    columns: Vec<String>,
    rows: Vec<MeasureRow<'a>>,
}

/// Every claim with counts on some kernel, in spec order.
fn measurements<'a>(m: &'a Matrix<'a>) -> Vec<MeasureClaim<'a>> {
    let mut out = Vec::new();
    for t in &m.types {
        for row in &t.rows {
            let per: Vec<_> = row.cells.iter().map(counts).collect();
            if per.iter().all(|(c, b)| c.is_empty() && b.is_none())
                && !row.claim.requires.statistical
            {
                continue;
            }
            let mut columns: Vec<String> = Vec::new();
            for (c, _) in &per {
                for (k, _) in c {
                    if !columns.contains(k) {
                        columns.push(k.clone());
                    }
                }
            }
            let rows = row
                .cells
                .iter()
                .zip(per)
                .enumerate()
                .map(|(k, (cell, (c, budget)))| MeasureRow {
                    k,
                    kernel: &m.kernels[k].version,
                    key: cell.mark.key(),
                    symbol: cell.mark.symbol(),
                    label: cell.mark.label(),
                    reason: cell
                        .reason
                        .as_deref()
                        .filter(|_| cell.mark == Mark::Skipped),
                    budget,
                    values: columns
                        .iter()
                        .map(|col| {
                            c.iter()
                                .find(|(n, _)| n == col)
                                .map_or_else(|| "—".to_string(), |(_, v)| v.clone())
                        })
                        .collect(),
                })
                .collect();
            out.push(MeasureClaim {
                id: &row.claim.global_id,
                spec: &t.spec.name,
                anchor: format!("m-{}-{}", t.spec.name, row.claim.meta.id),
                link: format!("{}.html#{}", t.spec.name, anchor(row)),
                text: &row.claim.meta.text,
                columns,
                rows,
            });
        }
    }
    out
}

/// HTML-escape text for element content and quoted attribute values.
fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['<', '>', '&', '"', '\'']) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    std::borrow::Cow::Owned(o)
}

/// One claim row of a type page: the claim, then a cell per kernel whose
/// `<details>` holds the evidence.
fn row_html(r: &RowCtx) -> String {
    use std::fmt::Write;
    let mut h = String::with_capacity(4096);
    let _ = write!(
        h,
        "<tr data-row data-claim=\"{}\" data-marks=\"{}\" id=\"{}\"{}>\n<th scope=\"row\"><code class=\"id\">{}</code>",
        esc(r.id),
        esc(&r.marks),
        esc(&r.anchor),
        if r.differs { " class=\"row-differs\"" } else { "" },
        esc(r.id)
    );
    if let Some(l) = &r.label {
        let _ = write!(h, " <span class=\"label\">{}</span>", esc(l));
    }
    let _ = write!(h, "<br><span class=\"text\">{}</span>", esc(r.text));
    for p in &r.provenance {
        let _ = write!(h, "<br><small class=\"prov\">{}</small>", esc(p));
    }
    if r.differs {
        let _ = write!(
            h,
            "<br><strong class=\"m-differs\">✗ differs on {}</strong>",
            esc(&r.differs_on)
        );
    }
    h.push_str("</th>\n");
    for (k, c) in r.cells.iter().enumerate() {
        let _ = write!(
            h,
            "<td data-k=\"{k}\" class=\"m-{}\"><details id=\"{}\"><summary><span aria-hidden=\"true\">{}</span> {}<span class=\"sr\"> — {} on {}</span>{}</summary>\n<div class=\"ev\"><p><b>{}</b> on {}",
            c.key,
            esc(&c.id),
            c.symbol,
            esc(c.outcome),
            c.label,
            esc(c.kernel),
            if c.key == "differs" { " <b>differs</b>" } else { "" },
            capitalize(c.label),
            esc(c.kernel),
        );
        if let Some(why) = c.reason {
            let _ = write!(h, ": {}", esc(why));
        }
        h.push_str("</p>\n");
        if let Some(d) = c.decisive {
            let _ = writeln!(
                h,
                "<p>Decisive operation: <code>{}</code>, expected <code>{}</code>, observed <code>{}</code></p>",
                esc(&d.operation),
                esc(&d.expected),
                esc(&d.observed)
            );
        }
        if let (Some(e), Some(o)) = (c.expected, c.observed) {
            let _ = writeln!(
                h,
                "<p>Expected:</p><pre>{}</pre><p>Observed:</p><pre>{}</pre>",
                esc(e),
                esc(o)
            );
        }
        if !c.counts.is_empty() {
            h.push_str("<p>Counts");
            if let Some(b) = &c.budget {
                let _ = write!(h, " (budget {} ms)", esc(b));
            }
            h.push_str(": ");
            let parts: Vec<String> = c
                .counts
                .iter()
                .map(|(n, v)| format!("{} {}", esc(n), esc(v)))
                .collect();
            h.push_str(&parts.join(", "));
            h.push_str("</p>\n");
        }
        h.push_str("</div></details></td>");
    }
    h.push_str("\n</tr>");
    h
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
