//! The mapspec spec model: one YAML file per eBPF map type, loaded,
//! validated and compiled into checks. Only `read/` touches the file
//! system (it reads spec and results files); everything else takes text
//! and makes no syscall. The runner (conformance) and docgen both build
//! on it.

pub mod api;
pub mod bounds;
pub mod bundle;
pub mod claim;
pub mod diagnostic;
pub mod evidence;
pub mod load;
pub mod map_types;
pub mod model;
pub mod mutate;
pub mod names;
pub mod prog;
pub mod provenance;
mod raw_datum;
pub mod read;
pub mod results;
pub mod schema;
pub mod text;
pub mod uses;
pub mod version;
pub mod wording;
pub mod yaml;

pub use claim::{Claim, ClaimKind, Plan, Program};
pub use diagnostic::{Diagnostic, LoadError};
pub use load::load_str;
pub use model::*;
pub use names::{Capability, ElemFlag, Errno, MapFlag, Outcome};
pub use read::{load_dir, load_dir_sources, load_file, SpecSource};
pub use version::{KernelVersion, Since};
