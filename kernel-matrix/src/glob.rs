//! The globs of kernels.yaml: `*` in a package name (never across a `-`)
//! and in an image path (never across a `/`, and it is the release).

/// Match `text` against `pattern`, where `*` matches any run of characters
/// not in `stop`. Returns what the first `*` matched.
pub fn glob_capture(pattern: &str, text: &str, stop: &[char]) -> Option<String> {
    fn go(p: &str, t: &str, stop: &[char], cap: &mut Option<String>) -> bool {
        match p.find('*') {
            None => p == t,
            Some(i) => {
                let (lit, rest) = (&p[..i], &p[i + 1..]);
                let Some(t) = t.strip_prefix(lit) else {
                    return false;
                };
                let limit = t.find(|c| stop.contains(&c)).unwrap_or(t.len());
                // Longest match first, so `vmlinuz-*` keeps the whole release.
                for end in (0..=limit).rev() {
                    if !t.is_char_boundary(end) {
                        continue;
                    }
                    let mut inner = cap.clone();
                    if inner.is_none() {
                        inner = Some(t[..end].to_string());
                    }
                    if go(rest, &t[end..], stop, &mut inner) {
                        *cap = inner;
                        return true;
                    }
                }
                false
            }
        }
    }
    let mut cap = None;
    if go(pattern, text, stop, &mut cap) {
        Some(cap.unwrap_or_default())
    } else {
        None
    }
}

/// Package-name globs: `*` never crosses a `-`.
pub fn package_matches(pattern: &str, name: &str) -> bool {
    glob_capture(pattern, name, &['-']).is_some()
}

/// The release named by an image path, given the image glob.
pub fn image_release(pattern: &str, path: &str) -> Option<String> {
    let path = path.strip_prefix("./").unwrap_or(path);
    glob_capture(pattern, path, &['/']).filter(|r| !r.is_empty())
}

/// Whether a path in a package is the image: `pattern` is either the glob
/// of kernels.yaml or, from the lock, the exact path (which has no `*` to
/// capture a release from).
pub fn image_matches(pattern: &str, path: &str) -> bool {
    let path = path.strip_prefix("./").unwrap_or(path);
    path == pattern || image_release(pattern, path).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_globs_skip_flavours() {
        let p = "linux-image-5.10.0-*-amd64-unsigned";
        assert!(package_matches(p, "linux-image-5.10.0-46-amd64-unsigned"));
        assert!(!package_matches(
            p,
            "linux-image-5.10.0-46-cloud-amd64-unsigned"
        ));
        let sid = "linux-binary-unsigned-*-amd64";
        assert!(package_matches(
            sid,
            "linux-binary-unsigned-7.2.13+deb14-amd64"
        ));
        assert!(!package_matches(
            sid,
            "linux-binary-unsigned-7.2.13+deb14-rt-amd64"
        ));
    }

    #[test]
    fn the_locked_exact_path_matches_too() {
        // A cold cache fetches by the lock's exact path; a glob-only match
        // made every fresh download fail with "has no file matching".
        assert!(image_matches(
            "boot/vmlinuz-6.1.0-56-amd64",
            "./boot/vmlinuz-6.1.0-56-amd64"
        ));
        assert!(image_matches(
            "boot/vmlinuz-*",
            "./boot/vmlinuz-6.1.0-56-amd64"
        ));
        assert!(!image_matches(
            "boot/vmlinuz-6.1.0-56-amd64",
            "./boot/System.map-6.1.0-56-amd64"
        ));
        assert!(!image_matches(
            "boot/vmlinuz-*",
            "./boot/config-6.1.0-56-amd64"
        ));
    }

    #[test]
    fn image_release_from_path() {
        assert_eq!(
            image_release("boot/vmlinuz-*", "./boot/vmlinuz-5.10.0-46-amd64").as_deref(),
            Some("5.10.0-46-amd64")
        );
        assert_eq!(
            image_release(
                "usr/lib/modules/*/vmlinuz.unsigned",
                "./usr/lib/modules/7.2.13+deb14-amd64/vmlinuz.unsigned"
            )
            .as_deref(),
            Some("7.2.13+deb14-amd64")
        );
        assert_eq!(image_release("boot/vmlinuz-*", "boot/System.map-1"), None);
        assert_eq!(
            image_release(
                "usr/lib/modules/*/vmlinuz.unsigned",
                "usr/lib/modules/a/b/vmlinuz.unsigned"
            ),
            None
        );
    }
}
