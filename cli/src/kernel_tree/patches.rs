//! `--patches OUT`: the plan of `--kernel-tree` as a `git format-patch`
//! series, one patch per map page and one for the overview, made with the
//! git CLI in a scratch repository (a temporary directory holding the stock
//! versions of the files the series touches, removed at the end). A patch
//! that would pass [`MAX_PATCH`] because it rewrites a stock page is split
//! in two: the stock page's removal, then the new page.

use super::{Change, Tree, Why, BPF_DIR, OVERVIEW};
use anyhow::{bail, Context};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The largest patch the series may hold: 20 KiB.
pub const MAX_PATCH: usize = 20 * 1024;
/// checkpatch types a series may still get: the note that new files may
/// need a MAINTAINERS entry, which is the maintainers' call.
pub const ALLOWED_CHECKPATCH: &[&str] = &["FILE_PATH_CHANGES"];

/// What the commit messages say about how the pages were checked.
pub struct SeriesInfo {
    /// The kernels the claims ran on (upstream versions), oldest first.
    pub kernels: Vec<String>,
}

struct Git {
    dir: PathBuf,
    ident: (String, String),
    date: String,
}

impl Git {
    fn run(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = Command::new("git")
            .args(args)
            .current_dir(&self.dir)
            // The user's configuration (hooks, signing, templates) stays
            // out of the scratch repository.
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", &self.ident.0)
            .env("GIT_AUTHOR_EMAIL", &self.ident.1)
            .env("GIT_COMMITTER_NAME", &self.ident.0)
            .env("GIT_COMMITTER_EMAIL", &self.ident.1)
            .env("GIT_AUTHOR_DATE", &self.date)
            .env("GIT_COMMITTER_DATE", &self.date)
            .output()
            .context("cannot run git (the patch series is made with it; install git)")?;
        if !out.status.success() {
            bail!(
                "`git {}` failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn put(&self, name: &str, text: Option<&str>) -> anyhow::Result<()> {
        let path = self.dir.join(BPF_DIR).join(name);
        match text {
            Some(t) => {
                mapspec_safefs::write_io(&path, t.as_bytes(), mapspec_safefs::Parent::CreateAll)
                    .with_context(|| format!("cannot write {}", path.display()))
            }
            None if !path.exists() => Ok(()),
            None => std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display())),
        }
    }

    fn commit(&self, message: &str) -> anyhow::Result<usize> {
        self.run(&["add", "-A"])?;
        self.run(&["commit", "-q", "--no-verify", "-m", message])?;
        Ok(self
            .run(&["format-patch", "-1", "--stdout", "--zero-commit", "HEAD"])?
            .len())
    }
}

impl Git {
    /// Commit `changes` as one patch if it stays within [`MAX_PATCH`]
    /// (or cannot be split); false, with nothing committed, otherwise.
    fn try_commit(&self, changes: &[Change], ctx: &SeriesInfo) -> anyhow::Result<bool> {
        for c in changes {
            self.put(&c.name, c.new.as_deref())?;
        }
        let refs: Vec<&Change> = changes.iter().collect();
        let splittable =
            changes.len() > 1 || changes.iter().any(|c| c.old.is_some() && c.new.is_some());
        if self.commit(&message(&refs, ctx))? <= MAX_PATCH || !splittable {
            return Ok(true);
        }
        self.run(&["reset", "-q", "--hard", "HEAD~1"])?;
        Ok(false)
    }
}

/// A group too big for one patch, as several: each new page, then the
/// removals and toctree edits, then each rewritten page (a rewrite too
/// big for one patch becomes the stock page's removal, then the new page).
fn split(git: &Git, group: Vec<Change>, ctx: &SeriesInfo) -> anyhow::Result<()> {
    let (pages, rest): (Vec<Change>, Vec<Change>) =
        group.into_iter().partition(|c| c.why == Why::Page);
    let (rewrites, added): (Vec<Change>, Vec<Change>) =
        pages.into_iter().partition(|c| c.old.is_some());
    // New pages before the removals they supersede, so that no state of
    // the series lacks what a page said.
    let mut units: Vec<Vec<Change>> = added.into_iter().map(|c| vec![c]).collect();
    if !rest.is_empty() {
        units.push(rest);
    }
    units.extend(rewrites.into_iter().map(|c| vec![c]));
    for unit in units {
        if git.try_commit(&unit, ctx)? {
            continue;
        }
        if unit.len() > 1 {
            // Only the removals and edits come as several.
            for c in unit {
                if !git.try_commit(std::slice::from_ref(&c), ctx)? {
                    bail!("cannot split the change of {} any further", c.name);
                }
            }
            continue;
        }
        let c = &unit[0];
        let removal = Change {
            new: None,
            ..c.clone()
        };
        let addition = Change {
            old: None,
            ..c.clone()
        };
        for half in [removal, addition] {
            git.put(&half.name, half.new.as_deref())?;
            git.commit(&message(&[&half], ctx))?;
        }
    }
    Ok(())
}

/// The author of the series: the user's git identity, else a placeholder
/// the sender replaces (Signed-off-by is theirs to add anyway).
fn ident() -> (String, String) {
    let get = |k: &str| {
        Command::new("git")
            .args(["config", k])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
    };
    (
        get("user.name").unwrap_or_else(|| "mapspec".into()),
        get("user.email").unwrap_or_else(|| "mapspec@invalid".into()),
    )
}

/// `SOURCE_DATE_EPOCH` when set (reproducible series), else now.
fn date() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
    format!("@{secs} +0000")
}

/// The first title of an RST page (over- and underlined, or underlined).
pub fn title(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let rule = |l: &str| l.len() >= 3 && l.chars().all(|c| "=-~^*#".contains(c));
    (0..lines.len().saturating_sub(1)).find_map(|i| {
        let t = lines[i].trim();
        (!t.is_empty() && !rule(t) && !t.starts_with("..") && rule(lines[i + 1]))
            .then(|| t.to_string())
    })
}

/// Wrap prose at 72 columns, paragraphs kept.
fn wrap(text: &str) -> String {
    let mut out = Vec::new();
    for para in text.split("\n\n") {
        let mut line = String::new();
        let mut lines = Vec::new();
        for w in para.split_whitespace() {
            if !line.is_empty() && line.len() + 1 + w.len() > 72 {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(w);
        }
        lines.push(line);
        out.push(lines.join("\n"));
    }
    out.join("\n\n")
}

fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Subject and body of one patch of `changes`. A page change without a
/// new text is the first half of a split rewrite.
fn message(changes: &[&Change], ctx: &SeriesInfo) -> String {
    let names = |f: &dyn Fn(&Change) -> bool| -> Vec<String> {
        changes
            .iter()
            .filter(|c| f(c))
            .map(|c| c.name.clone())
            .collect()
    };
    let page = |c: &Change| c.why == Why::Page;
    let rewritten = names(&|c| page(c) && c.old.is_some() && c.new.is_some());
    let added = names(&|c| page(c) && c.old.is_none());
    let removed = names(&|c| page(c) && c.new.is_none());
    let superseded = names(&|c| matches!(c.why, Why::Superseded { .. }));
    let mut parts = Vec::new();
    if !removed.is_empty() {
        parts.push(format!("Remove the stock {}", list(&removed)));
    }
    if !rewritten.is_empty() {
        parts.push(format!("Rewrite {}", list(&rewritten)));
    }
    if !added.is_empty() {
        parts.push(format!("Add {}", list(&added)));
    }
    if !superseded.is_empty() && parts.len() < 2 {
        parts.push(format!("Remove {}", list(&superseded)));
    }
    let subject = match parts.len() {
        0 => "Adjust the toctrees of the map pages".to_string(),
        _ => {
            let s = parts.join(" and ");
            let mut c = s.chars();
            c.next().map(|f| f.to_string()).unwrap_or_default()
                + &c.as_str()
                    .replace(" and Add", " and add")
                    .replace(" and Remove", " and remove")
                    .replace(" and Rewrite", " and rewrite")
        }
    };
    let mut body = Vec::new();
    for c in changes.iter().filter(|c| page(c)) {
        let t = c.new.as_deref().and_then(title).unwrap_or_default();
        body.push(match (&c.old, &c.new) {
            (_, None) => format!(
                "Remove the stock {}. The next patch adds the page of the same name, \
                 generated from executable specifications, which states what this page \
                 stated; the two steps only keep each patch small.",
                c.name
            ),
            (Some(_), Some(_)) => format!(
                "Replace {} with a page generated from executable specifications of the \
                 map types it covers ({t}).",
                c.name
            ),
            (None, Some(_)) => {
                format!(
                    "Add {} ({t}), generated from executable specifications.",
                    c.name
                )
            }
        });
    }
    for c in changes {
        match &c.why {
            Why::Superseded { by } => body.push(format!(
                "Remove {}: {by} covers what it said, so the map is described in one place.",
                c.name
            )),
            Why::Stale => body.push(format!(
                "Remove {}, which no specification renders any more.",
                c.name
            )),
            Why::Edited { what } => body.push(format!("Adjust {}: {}.", c.name, what.join("; "))),
            Why::Page => {}
        }
    }
    if changes.iter().any(|c| page(c) && c.new.is_some()) {
        body.push(format!(
            "Each statement on the page is asserted by a check that runs the \
             operation through bpf(2) and fails if the statement is false, observed \
             by a counting check, or marked as an explanation (mechanism, advice, \
             history). The checks were run on Linux {}.",
            if ctx.kernels.is_empty() {
                "(no kernel recorded)".to_string()
            } else {
                list(&ctx.kernels)
            }
        ));
    }
    body.push(
        "scripts/checkpatch.pl --strict finds nothing in this patch but, for added or \
         removed files, the question whether MAINTAINERS needs updating."
            .into(),
    );
    format!("bpf, docs: {subject}\n\n{}\n", wrap(&body.join("\n\n")))
}

/// Write the series into `out` (created if its parent exists); returns the
/// patch files, in order.
pub fn write(changes: &[Change], ctx: &SeriesInfo, out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let scratch = tempfile::Builder::new()
        .prefix("mapspec-patches-")
        .tempdir()
        .context("cannot make a scratch directory for git")?;
    let git = Git {
        dir: scratch.path().to_path_buf(),
        ident: ident(),
        date: date(),
    };
    git.run(&["init", "-q"])?;
    for c in changes {
        git.put(&c.name, c.old.as_deref())?;
    }
    // The base the series applies to; empty when every file is new.
    git.run(&["add", "-A"])?;
    git.run(&["commit", "-q", "--allow-empty", "-m", "stock"])?;
    let mut groups: BTreeMap<(bool, &str), Vec<&Change>> = BTreeMap::new();
    for c in changes {
        groups
            .entry((c.group != OVERVIEW, c.group.as_str()))
            .or_default()
            .push(c);
    }
    for group in groups.values() {
        let group: Vec<Change> = group.iter().map(|c| (*c).clone()).collect();
        if !git.try_commit(&group, ctx)? {
            split(&git, group, ctx)?;
        }
    }
    let made = scratch.path().join("out");
    let base = git.run(&["rev-list", "--max-parents=0", "HEAD"])?;
    git.run(&[
        "format-patch",
        "-q",
        "--zero-commit",
        "--no-signature",
        "-o",
        made.to_str().context("a scratch path that is not UTF-8")?,
        &format!("{}..HEAD", base.trim()),
    ])?;
    let mut names: Vec<String> = std::fs::read_dir(&made)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut written = Vec::new();
    for n in &names {
        let bytes = std::fs::read(made.join(n))?;
        let dest = out.join(n);
        let opts = mapspec_safefs::Options {
            create_parent: mapspec_safefs::Parent::CreateOne,
        };
        mapspec_safefs::write_with(&dest, &bytes, opts)?;
        written.push(dest);
    }
    Ok(written)
}

/// checkpatch's complaints about each of `files` (`FILE:LINE: TYPE:
/// message`), except the [`ALLOWED_CHECKPATCH`] ones: one run from the
/// tree's top directory, as perl's start and checkpatch's tables cost
/// about a second per run.
pub fn checkpatch(tree: &Tree, args: &[&str], files: &[PathBuf]) -> anyhow::Result<Vec<String>> {
    let out = Command::new("perl")
        .arg("scripts/checkpatch.pl")
        .args(["--strict", "--show-types", "--no-summary", "--terse"])
        .args(args)
        .args(files)
        .current_dir(&tree.root)
        .output()
        .context("cannot run perl scripts/checkpatch.pl")?;
    let text = String::from_utf8_lossy(&out.stdout);
    // 0: clean, 1: findings; anything else (not a kernel tree, a perl
    // error) means nothing was checked.
    if !matches!(out.status.code(), Some(0 | 1)) {
        bail!(
            "scripts/checkpatch.pl checked nothing: {}{}",
            text.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(text
        .lines()
        .filter(|l| l.contains("ERROR:") || l.contains("WARNING:") || l.contains("CHECK:"))
        .filter(|l| {
            !ALLOWED_CHECKPATCH
                .iter()
                .any(|t| l.contains(&format!(":{t}:")))
        })
        .map(str::to_string)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_wrapping() {
        assert_eq!(
            title(".. SPDX\n\n=====\nMaps\n=====\n\nText\n").as_deref(),
            Some("Maps")
        );
        assert_eq!(title("Other\n-----\n").as_deref(), Some("Other"));
        let w = wrap(&"word ".repeat(40));
        assert!(w.lines().all(|l| l.len() <= 72) && w.lines().count() > 1);
    }
}
