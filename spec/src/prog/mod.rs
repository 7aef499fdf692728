//! Kernel-side steps and page examples: the step types (`steps`), their
//! lint (`lint`), and the example regions of suite sources (`example`).

mod example;
mod lint;
mod steps;

pub use example::{example_region, split_example_ref, Example, REGION_BEGIN, REGION_END};
pub use lint::step_problems;
pub use steps::{ProgLoadOp, ProgRaceOp, ProgRunOp, ProgTornOp, PROGRAMS};
