//! Which Debian archive the kernels come from: `--mirror` (or `mirror:` in
//! kernels.yaml), else the machine's own apt sources. mapspec names no
//! archive host of its own, so it fetches from wherever this machine's apt
//! already does (its usual mirror, a proxy, a snapshot).

use std::path::{Path, PathBuf};

use crate::MatrixError;

/// Debian's release names and aliases. A source whose suite is one of
/// these (with or without `-security`, `-updates`, ...) is Debian's, which
/// tells it from Ubuntu's or a vendor's.
const DEBIAN_SUITES: &[&str] = &[
    "buzz",
    "rex",
    "bo",
    "hamm",
    "slink",
    "potato",
    "woody",
    "sarge",
    "etch",
    "lenny",
    "squeeze",
    "wheezy",
    "jessie",
    "stretch",
    "buster",
    "bullseye",
    "bookworm",
    "trixie",
    "forky",
    "duke",
    "sid",
    "oldoldstable",
    "oldstable",
    "stable",
    "testing",
    "unstable",
    "experimental",
];

/// The archive for each kind of suite: the security suites live in their
/// own archive (`debian-security`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    pub debian: String,
    pub security: Option<String>,
}

/// What the user asked for; `None` fields come from the apt sources.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MirrorOverride {
    pub debian: Option<String>,
    pub security: Option<String>,
}

impl Mirror {
    /// The archive that serves `suite`.
    pub fn for_suite(&self, suite: &str) -> Result<String, MatrixError> {
        if !is_security(suite) {
            return Ok(self.debian.clone());
        }
        if let Some(s) = &self.security {
            return Ok(s.clone());
        }
        // Debian's own hosts and snapshot archives keep the security
        // archive beside the main one: .../debian -> .../debian-security,
        // .../archive/debian/<time> -> .../archive/debian-security/<time>.
        let mut parts: Vec<&str> = self.debian.trim_end_matches('/').split('/').collect();
        match parts.iter().skip(1).rposition(|p| *p == "debian") {
            Some(i) => {
                parts[i + 1] = "debian-security";
                Ok(parts.join("/"))
            }
            None => Err(MatrixError::NoMirror {
                message: format!(
                    "suite {suite} is in Debian's security archive, which is not beside {} \
                     (no /debian in its path); give it with `--security-mirror URL`",
                    self.debian
                ),
            }),
        }
    }
}

fn is_security(suite: &str) -> bool {
    suite.ends_with("-security") || suite.ends_with("/updates")
}

/// Whether a suite name belongs to Debian.
fn debian_suite(suite: &str) -> bool {
    let base = suite.split(['-', '/']).next().unwrap_or_default();
    DEBIAN_SUITES.contains(&base)
}

/// One `deb` line or deb822 paragraph: its first URI, suites, components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub uri: String,
    pub suites: Vec<String>,
    pub components: Vec<String>,
}

impl Source {
    fn is_debian(&self) -> bool {
        self.components.iter().any(|c| c == "main")
            && self.suites.iter().any(|s| debian_suite(s))
            && !self.uri.starts_with("cdrom:")
    }
}

/// The one-line format (`sources.list`, `*.list`): `deb [opts] URI SUITE COMP...`.
pub fn parse_one_line(text: &str) -> Vec<Source> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        let Some(rest) = line
            .strip_prefix("deb ")
            .or_else(|| line.strip_prefix("deb\t"))
        else {
            continue;
        };
        let mut rest = rest.trim_start();
        if let Some(opts) = rest.strip_prefix('[') {
            match opts.split_once(']') {
                Some((_, after)) => rest = after,
                None => continue,
            }
        }
        let mut words = rest.split_whitespace();
        let (Some(uri), Some(suite)) = (words.next(), words.next()) else {
            continue;
        };
        out.push(Source {
            uri: uri.to_string(),
            suites: vec![suite.to_string()],
            components: words.map(str::to_string).collect(),
        });
    }
    out
}

/// The deb822 format (`*.sources`): paragraphs of `Field: value` lines.
pub fn parse_deb822(text: &str) -> Vec<Source> {
    let mut out = Vec::new();
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut flush = |fields: &mut Vec<(String, String)>| {
        let get = |k: &str| {
            fields
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.split_whitespace().map(str::to_string).collect::<Vec<_>>())
                .unwrap_or_default()
        };
        let enabled = get("Enabled").first().is_none_or(|v| v != "no");
        if enabled && get("Types").iter().any(|t| t == "deb") {
            if let Some(uri) = get("URIs").into_iter().next() {
                out.push(Source {
                    uri,
                    suites: get("Suites"),
                    components: get("Components"),
                });
            }
        }
        fields.clear();
    };
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        if line.trim().is_empty() {
            flush(&mut fields);
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = fields.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            fields.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    flush(&mut fields);
    out
}

/// Every source apt reads under `etc` (normally /etc/apt): `sources.list`,
/// then `sources.list.d/*.list` and `*.sources` in name order (apt ignores
/// other names, such as `*.disabled`).
pub fn machine_sources(etc: &Path) -> (Vec<Source>, Vec<PathBuf>) {
    let mut files = vec![etc.join("sources.list")];
    if let Ok(rd) = std::fs::read_dir(etc.join("sources.list.d")) {
        let mut more: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "list" || x == "sources"))
            .collect();
        more.sort();
        files.extend(more);
    }
    let mut sources = Vec::new();
    let mut read = Vec::new();
    for f in files {
        // A sources file is a few hundred bytes; anything huge is not one.
        let Ok(meta) = std::fs::metadata(&f) else {
            continue;
        };
        if !meta.is_file() || meta.len() > 1 << 20 {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        if f.extension().is_some_and(|x| x == "sources") {
            sources.extend(parse_deb822(&text));
        } else {
            sources.extend(parse_one_line(&text));
        }
        read.push(f);
    }
    (sources, read)
}

/// The mirror from a set of apt sources: the first Debian source of a
/// non-security suite, and the first of a security suite.
pub fn from_sources(sources: &[Source]) -> Option<Mirror> {
    let debian: Vec<&Source> = sources.iter().filter(|s| s.is_debian()).collect();
    let main = debian
        .iter()
        .find(|s| s.suites.iter().any(|x| debian_suite(x) && !is_security(x)))?;
    let security = debian
        .iter()
        .find(|s| s.suites.iter().any(|x| debian_suite(x) && is_security(x)));
    Some(Mirror {
        debian: main.uri.clone(),
        security: security.map(|s| s.uri.clone()),
    })
}

/// A mirror URI goes into a sources.list line: one word, with a scheme
/// apt knows.
pub fn check_uri(uri: &str) -> Result<(), String> {
    let scheme = uri.split_once(':').map(|(s, _)| s).unwrap_or_default();
    let known = [
        "http",
        "https",
        "file",
        "ftp",
        "mirror",
        "mirror+http",
        "mirror+https",
        "mirror+file",
        "tor+http",
        "tor+https",
    ];
    if !known.contains(&scheme) {
        return Err(format!(
            "{uri:?} is not an apt archive URI (expected http://HOST/PATH, https://... or file:/PATH)"
        ));
    }
    if uri
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '[' || c == ']')
    {
        return Err(format!(
            "{uri:?} contains spaces, brackets or control characters"
        ));
    }
    Ok(())
}

/// The mirror to fetch from: the override's, else the apt sources under
/// `etc`'s. A machine without a Debian source gets an error naming
/// `--mirror`.
pub fn resolve(ov: &MirrorOverride, etc: &Path) -> Result<Mirror, MatrixError> {
    for uri in ov.debian.iter().chain(ov.security.iter()) {
        check_uri(uri).map_err(|message| MatrixError::NoMirror { message })?;
    }
    if let Some(debian) = &ov.debian {
        return Ok(Mirror {
            debian: debian.clone(),
            security: ov.security.clone(),
        });
    }
    let (sources, read) = machine_sources(etc);
    let mut m = from_sources(&sources).ok_or_else(|| MatrixError::NoMirror {
        message: format!(
            "this machine's apt sources ({}) name no Debian archive (a `deb` source of a \
             Debian suite with `main`), so there is no mirror to fetch the kernels from; \
             pass `--mirror URL` (for example the URL of a Debian mirror ending in /debian) \
             or set `mirror:` in kernels.yaml",
            if read.is_empty() {
                format!("none found under {}", etc.display())
            } else {
                read.iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
    })?;
    if ov.security.is_some() {
        m.security = ov.security.clone();
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Fixtures in the two formats apt reads; the hosts are placeholders.
    const DEB822: &str = "\
Types: deb deb-src
# a comment inside the paragraph
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 -----END PGP PUBLIC KEY BLOCK-----

Enabled: no
Types: deb
URIs: http://disabled.example/debian
Suites: sid
Components: main
";

    const ONE_LINE: &str = "\
# deb http://commented.example/debian sid main
deb-src http://src.example/debian bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://one.example/debian bullseye main non-free
deb http://one.example/debian-security bullseye-security main # trailing comment
";

    const UBUNTU: &str = "\
Types: deb
URIs: http://archive.example/ubuntu
Suites: noble noble-updates noble-security
Components: main universe
";

    #[test]
    fn parses_deb822_sources() {
        let s = parse_deb822(DEB822);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[0].uri, "http://mirror.example/debian");
        assert_eq!(s[0].suites, ["bookworm", "bookworm-updates"]);
        assert_eq!(s[0].components, ["main", "contrib"]);
        assert_eq!(
            from_sources(&s),
            Some(Mirror {
                debian: "http://mirror.example/debian".into(),
                security: Some("http://mirror.example/debian-security".into()),
            })
        );
    }

    #[test]
    fn parses_one_line_sources() {
        let s = parse_one_line(ONE_LINE);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[0].uri, "http://one.example/debian");
        assert_eq!(s[0].suites, ["bullseye"]);
        assert_eq!(s[0].components, ["main", "non-free"]);
        let m = from_sources(&s).unwrap();
        assert_eq!(m.debian, "http://one.example/debian");
        assert_eq!(
            m.for_suite("bullseye-security").unwrap(),
            "http://one.example/debian-security"
        );
        assert_eq!(m.for_suite("sid").unwrap(), "http://one.example/debian");
    }

    #[test]
    fn reads_a_machines_apt_directory() {
        let d = tempfile::tempdir().unwrap();
        let etc = d.path();
        std::fs::create_dir_all(etc.join("sources.list.d")).unwrap();
        std::fs::write(etc.join("sources.list.d/debian.sources"), DEB822).unwrap();
        // apt ignores files that end neither in .list nor in .sources.
        std::fs::write(
            etc.join("sources.list.d/other.list.disabled"),
            "deb http://ignored.example/debian sid main\n",
        )
        .unwrap();
        let m = resolve(&MirrorOverride::default(), etc).unwrap();
        assert_eq!(m.debian, "http://mirror.example/debian");
        let ov = MirrorOverride {
            debian: Some("http://override.example/archive/debian/20250101T000000Z".into()),
            security: None,
        };
        let m = resolve(&ov, etc).unwrap();
        assert_eq!(
            m.for_suite("trixie-security").unwrap(),
            "http://override.example/archive/debian-security/20250101T000000Z"
        );
    }

    #[test]
    fn no_debian_source_names_the_mirror_option() {
        let d = tempfile::tempdir().unwrap();
        let etc = d.path();
        std::fs::create_dir_all(etc.join("sources.list.d")).unwrap();
        std::fs::write(etc.join("sources.list.d/ubuntu.sources"), UBUNTU).unwrap();
        let e = resolve(&MirrorOverride::default(), etc)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--mirror"), "{e}");
        assert!(e.contains("ubuntu.sources"), "{e}");
        let e = resolve(&MirrorOverride::default(), &etc.join("nothing"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--mirror"), "{e}");
    }

    #[test]
    fn a_mirror_option_must_be_one_uri() {
        assert!(check_uri("http://mirror.example/debian").is_ok());
        assert!(check_uri("file:/srv/debian").is_ok());
        assert!(check_uri("mirror.example/debian").is_err());
        assert!(check_uri("http://a/debian sid main\ndeb http://b/x").is_err());
        let ov = MirrorOverride {
            debian: Some("http://a/debian main".into()),
            security: None,
        };
        assert!(resolve(&ov, Path::new("/nonexistent")).is_err());
    }

    #[test]
    fn a_security_archive_not_beside_the_mirror_is_asked_for() {
        let m = Mirror {
            debian: "http://proxy.example/deb".into(),
            security: None,
        };
        assert_eq!(m.for_suite("sid").unwrap(), "http://proxy.example/deb");
        let e = m.for_suite("bookworm-security").unwrap_err().to_string();
        assert!(e.contains("--security-mirror"), "{e}");
    }
}
