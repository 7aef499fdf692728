//! Examples: the regions of suite sources a page shows, and how they are
//! marked and extracted. Pure: the caller reads the files.

/// The marker lines of an example region in a source file.
pub const REGION_BEGIN: &str = "mapspec:example:begin";
pub const REGION_END: &str = "mapspec:example:end";

/// Split an example reference `PATH#REGION` into the path (relative to the
/// repository root) and the region name (`None`: the whole file).
pub fn split_example_ref(r: &str) -> (&str, Option<&str>) {
    match r.split_once('#') {
        Some((path, region)) => (path, Some(region)),
        None => (r, None),
    }
}

fn marker<'a>(line: &'a str, which: &str) -> Option<&'a str> {
    let rest = &line[line.find(which)? + which.len()..];
    rest.split_whitespace().next()
}

/// The text of region `name` of `source`: the lines strictly between the
/// line holding `mapspec:example:begin NAME` and the one holding
/// `mapspec:example:end NAME`, with their common leading whitespace
/// removed and marker lines of other regions left out. Pure, so that
/// docgen and the tests extract regions the same way.
pub fn example_region(source: &str, name: &str) -> Result<String, String> {
    let lines: Vec<&str> = source.lines().collect();
    let begin = lines
        .iter()
        .position(|l| marker(l, REGION_BEGIN) == Some(name))
        .ok_or_else(|| format!("no line marks `{REGION_BEGIN} {name}`"))?;
    let end = lines[begin + 1..]
        .iter()
        .position(|l| marker(l, REGION_END) == Some(name))
        .map(|i| begin + 1 + i)
        .ok_or_else(|| format!("region `{name}` has no `{REGION_END} {name}` line"))?;
    let body: Vec<&str> = lines[begin + 1..end]
        .iter()
        .copied()
        .filter(|l| !l.contains(REGION_BEGIN) && !l.contains(REGION_END))
        .collect();
    let indent = body
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let text: Vec<&str> = body
        .iter()
        .map(|l| {
            if l.trim().is_empty() {
                ""
            } else {
                &l[indent..]
            }
        })
        .collect();
    let text = text.join("\n").trim_matches('\n').to_string();
    if text.is_empty() {
        return Err(format!("region `{name}` is empty"));
    }
    Ok(text + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_extracted_and_dedented() {
        let src = "int main(void)\n{\n\t// mapspec:example:begin a\n\tint x;\n\n\t\tx = 1;\n\t// mapspec:example:end a\n}\n";
        assert_eq!(example_region(src, "a").unwrap(), "int x;\n\n\tx = 1;\n");
    }

    #[test]
    fn missing_or_unterminated_regions_are_errors() {
        let src = "// mapspec:example:begin a\nx\n";
        assert!(example_region(src, "b")
            .unwrap_err()
            .contains("no line marks"));
        assert!(example_region(src, "a").unwrap_err().contains("has no"));
        assert!(example_region(
            "// mapspec:example:begin ab\nx\n// mapspec:example:end ab\n",
            "a"
        )
        .is_err());
    }

    #[test]
    fn nested_markers_are_left_out() {
        let src = "/* mapspec:example:begin outer */\na\n/* mapspec:example:begin inner */\nb\n/* mapspec:example:end inner */\n/* mapspec:example:end outer */\n";
        assert_eq!(example_region(src, "outer").unwrap(), "a\nb\n");
        assert_eq!(example_region(src, "inner").unwrap(), "b\n");
    }

    #[test]
    fn refs_split_at_the_hash() {
        assert_eq!(split_example_ref("a/b.c#r"), ("a/b.c", Some("r")));
        assert_eq!(split_example_ref("a/b.c"), ("a/b.c", None));
    }
}

/// The top-level functions of a C source in kernel style: name → body,
/// from the line that names it to the `}` in column 0 that ends it. The
/// suite's tests use it to find what a shown region calls and defines.
pub fn c_functions(file: &str) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for l in file.lines() {
        if let Some((_, body)) = current.as_mut() {
            body.push_str(l);
            body.push('\n');
            if l == "}" {
                if let Some((name, body)) = current.take() {
                    out.insert(name, body);
                }
            }
            continue;
        }
        let starts = !l.starts_with([' ', '\t', '#', '/', '*', '}'])
            && !l.starts_with("SEC(")
            && !l.starts_with("extern ")
            && !l.ends_with(';');
        if let (true, Some(i)) = (starts, l.find('(')) {
            if let Some(name) = l[..i].split_whitespace().last() {
                current = Some((name.trim_start_matches('*').to_string(), String::new()));
            }
        }
    }
    out
}

#[cfg(test)]
mod c_function_tests {
    #[test]
    fn functions_are_found_with_their_bodies() {
        let src = "#include <x.h>\nstatic int *f(int a)\n{\n\treturn 0;\n}\nint g(void);\nSEC(\"tc\")\nint h(void *c)\n{\n}\n";
        let f = super::c_functions(src);
        assert_eq!(f.keys().collect::<Vec<_>>(), ["f", "h"]);
        assert_eq!(f["f"], "{\n\treturn 0;\n}\n");
    }
}
