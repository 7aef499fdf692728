//! What the rendered pages replace in a kernel tree's Documentation/bpf.
//! Computed from page names alone, so that no map type is named here: a
//! page replaces the stock page of the same name, and a map page
//! `map_<name>.rst` also replaces the stock `<name>.rst` (the stock tree
//! describes the ring buffer in `ringbuf.rst`, not `map_ringbuf.rst`).
//! Only names the tree has are ever removed; `mapspec docs --kernel-tree`
//! does the file work.

/// The stock page names that `page` (a rendered page's file name)
/// supersedes, its own name first.
pub fn supersedes(page: &str) -> Vec<String> {
    let mut out = vec![page.to_string()];
    if let Some(rest) = page.strip_prefix("map_") {
        out.push(rest.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_supersedes_its_name_and_a_map_page_its_unprefixed_name() {
        assert_eq!(supersedes("maps.rst"), ["maps.rst"]);
        assert_eq!(supersedes("map_hash.rst"), ["map_hash.rst", "hash.rst"]);
        assert_eq!(
            supersedes("map_ringbuf.rst"),
            ["map_ringbuf.rst", "ringbuf.rst"]
        );
    }
}
