//! What mapspec says: each cause once, counts in the right number, data
//! escaped before it reaches a terminal, and a README synopsis that
//! matches `--help`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn mapspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mapspec"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("run mapspec")
}

fn spec_dir_with(content: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("maps")).unwrap();
    std::fs::write(dir.path().join("maps/hash.yaml"), content).unwrap();
    dir
}

fn hash_spec() -> String {
    std::fs::read_to_string(repo().join("spec/maps/hash.yaml")).unwrap()
}

#[test]
fn message_an_os_error_is_said_once() {
    for sub in ["lint", "run", "docs"] {
        let out = mapspec(&[sub, "--specs", "/nonexistent/specs"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{sub}: {stderr}");
        assert!(
            stderr.matches("No such file or directory").count() <= 1,
            "{sub}: {stderr}"
        );
        assert!(stderr.contains("/nonexistent/specs"), "{sub}: {stderr}");
    }
}

#[test]
fn message_one_problem_is_singular() {
    let d = spec_dir_with(&hash_spec().replacen("expect: EEXIST", "expect: EEXISTS", 1));
    let out = mapspec(&["lint", "--specs", d.path().to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().last(), Some("1 problem"), "{stderr}");
}

#[test]
fn message_control_characters_from_a_spec_are_escaped() {
    // A field name with an escape sequence that would clear the screen.
    let spec = hash_spec().replacen("\nbase:", "\n\"\\e[2J\\rbogus\": 1\nbase:", 1);
    assert!(
        spec.contains("\\e[2J"),
        "hash.yaml has no top-level `base:`"
    );
    let d = spec_dir_with(&spec);
    let out = mapspec(&["lint", "--specs", d.path().to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\r'),
        "raw control characters on stderr: {stderr:?}"
    );
    assert!(stderr.contains("\\u{1b}[2J"), "{stderr:?}");
}

/// `--long` options in `text`, without --help and --version.
fn long_options(text: &str) -> BTreeSet<String> {
    let mut set = BTreeSet::new();
    for (i, _) in text.match_indices("--") {
        let name: String = text[i + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        let before = text[..i].chars().last();
        if !name.is_empty() && !matches!(before, Some(c) if c.is_ascii_alphanumeric() || c == '-') {
            set.insert(format!("--{name}"));
        }
    }
    set.remove("--help");
    set.remove("--version");
    set
}

/// The options `mapspec <sub> --help` lists (lines that start with an
/// option, not options mentioned in prose).
fn help_options(sub: &[&str]) -> BTreeSet<String> {
    let mut args = sub.to_vec();
    args.push("--help");
    let out = mapspec(&args);
    assert!(out.status.success(), "mapspec {sub:?} --help failed");
    let help = String::from_utf8(out.stdout).unwrap();
    let opts: String = help
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
        .map(|l| l.split("  ").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    long_options(&opts)
}

/// Subcommands `mapspec <sub> --help` lists, `help` aside.
fn help_subcommands(sub: &[&str]) -> Vec<String> {
    let mut args = sub.to_vec();
    args.push("--help");
    let help = String::from_utf8(mapspec(&args).stdout).unwrap();
    let Some((_, rest)) = help.split_once("Commands:\n") else {
        return Vec::new();
    };
    rest.lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn readme_synopsis_matches_help() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let block = readme
        .split("```sh\n")
        .find(|b| b.starts_with("mapspec lint"))
        .and_then(|b| b.split("```").next())
        .expect("README has a ```sh block starting with `mapspec lint`");
    // A command may go on over indented lines.
    let mut lines: Vec<String> = Vec::new();
    for l in block.lines() {
        match lines.last_mut() {
            Some(last) if l.starts_with(' ') => last.push_str(l),
            _ => lines.push(l.to_string()),
        }
    }
    let mut documented = Vec::new();
    for line in &lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        let sub: Vec<&str> = words[1..]
            .iter()
            .take_while(|w| w.chars().all(|c| c.is_ascii_lowercase()))
            .copied()
            .collect();
        documented.push(sub.join(" "));
        let want = help_options(&sub);
        let have = long_options(line);
        let undocumented: Vec<_> = want.difference(&have).collect();
        let unknown: Vec<_> = have.difference(&want).collect();
        assert!(
            undocumented.is_empty() && unknown.is_empty(),
            "README synopsis `{line}`:\n  in --help, not in README: {undocumented:?}\n  in README, not in --help: {unknown:?}"
        );
    }
    let mut commands = Vec::new();
    for top in help_subcommands(&[]) {
        for sub in help_subcommands(&[&top]) {
            commands.push(format!("{top} {sub}"));
        }
        commands.push(top);
    }
    for c in &commands {
        assert!(
            documented.contains(c),
            "`mapspec {c}` is not in the README synopsis"
        );
    }
}
