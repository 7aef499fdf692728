//! Link targets of a page: one `.. _name: url` per name, and an error when
//! one link text points at two addresses on the same page.

use crate::markdown::Target;
use crate::{DocError, SpecFile};
use std::collections::BTreeMap;

/// Collects link targets of a page.
#[derive(Default)]
pub(crate) struct Targets(BTreeMap<String, String>);

impl Targets {
    pub(crate) fn add(&mut self, sf: &SpecFile, ts: Vec<Target>) -> Result<(), DocError> {
        for t in ts {
            let norm = t.name.to_lowercase();
            match self.0.get(&norm) {
                Some(url) if *url != t.url => {
                    return Err(DocError::Inconsistent(format!(
                        "{}: the link text `{}` points at {} here and at {url} elsewhere on the same page; use distinct link texts",
                        sf.path.display(),
                        t.name,
                        t.url
                    )))
                }
                Some(_) => {}
                None => {
                    self.0.insert(norm, t.url.clone());
                }
            }
        }
        Ok(())
    }
    pub(crate) fn into_vec(self) -> Vec<Target> {
        self.0
            .into_iter()
            .map(|(name, url)| Target { name, url })
            .collect()
    }
}
