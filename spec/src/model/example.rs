//! A page's code examples as a spec names them; `prog::example_region`
//! extracts the regions.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A code example for a page's Examples chapter: marked regions of files
/// the suite compiles and runs. `kernel` is `conformance/bpf/FILE.bpf.c#REGION`,
/// `user` is `conformance/examples/FILE.c#REGION` (or the whole file
/// without `#REGION`); a region spans the lines between
/// `mapspec:example:begin REGION` and `mapspec:example:end REGION`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// Section title.
    pub title: String,
    /// One or two sentences before the code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}
