use rstest::rstest;
use std::path::PathBuf;

#[rstest]
fn every_spec_lints_clean(#[files("maps/*.yaml")] path: PathBuf) {
    match mapspec_spec::load_file(&path) {
        Ok(spec) => assert!(!spec.claims().is_empty()),
        Err(mapspec_spec::LoadError::Invalid { diagnostics }) => {
            let text: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
            panic!("{}", text.join("\n"));
        }
        Err(e) => panic!("{e}"),
    }
}
