//! Kernel-side steps and page examples: the suite's programs
//! (`programs`), the steps' lint (`lint`), and the example regions of suite
//! sources (`example`). The step and example types are the model's
//! (`model::prog_steps`, `model::example`), re-exported here.

mod example;
mod lint;
mod programs;

pub use crate::model::{Example, ProgLoadOp, ProgRaceOp, ProgRunOp, ProgTornOp};
pub use example::{c_functions, example_region, split_example_ref, REGION_BEGIN, REGION_END};
pub use lint::step_problems;
pub use programs::PROGRAMS;
