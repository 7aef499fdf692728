//! The step interpreter: creates a claim's map, runs its steps, and
//! compares every outcome with the spec. Every verdict carries the trace of
//! syscalls that produced it.
//!
//! One module per step family (`create`, `elem`, `iterate`, `batch`,
//! `mmap`, `torn`, `programs`, `races`, `push_pop`); each records into the check's
//! [`context::Context`] and judges every outcome with its one `check`,
//! which holds the refusal rule. Modules depend downwards only: families
//! on `context`, `map`, `print` and `verdict`; nothing on this one.

mod batch;
mod by_id;
mod context;
mod create;
mod elem;
mod iterate;
mod map;
mod mmap;
mod print;
mod programs;
mod push_pop;
mod races;
mod raw_create;
mod resolve;
mod torn;
mod verdict;

pub use verdict::Verdict;

use context::Context;
use map::Map;
use mapspec_spec::results::{Decisive, Measurement};
use mapspec_spec::{Program, Step};
use verdict::{error, Flow};

/// What one program's run produced.
pub struct Execution {
    pub verdict: Verdict,
    /// One line per syscall: what was asked and what the kernel said.
    pub trace: Vec<String>,
    /// The spec's expectations for the decisive operations.
    pub expected: Vec<String>,
    /// The operation whose outcome decided the verdict, if one did.
    pub decisive: Option<Decisive>,
    pub measurement: Option<Measurement>,
}

/// The machine the programs run on.
pub struct Env {
    pub possible_cpus: u32,
}

/// Interprets one program's steps against its map.
struct StepInterpreter<'a> {
    env: &'a Env,
    cx: Context,
}

impl StepInterpreter<'_> {
    /// Resolve the fixtures, create the map and run every step.
    fn run(&mut self, program: &Program) -> Flow {
        let mut program = program.clone();
        resolve::resolve(&mut self.cx, &mut program)?;
        let ncpu = self.env.possible_cpus as usize;
        let Some(map) = create::create(&mut self.cx, &program, ncpu)? else {
            if !program.steps.is_empty() {
                return Err(error("map creation was expected to fail, but steps follow"));
            }
            return Ok(());
        };
        let steps = program
            .steps
            .iter()
            .try_for_each(|step| self.step(&program, &map, step));
        if program.runner.elements_live_in_owner {
            // Untraced: cleanup, not evidence (see RunnerFacts).
            self.cx.fixtures.release_owned_storage(&map.fd);
        }
        steps
    }

    fn step(&mut self, p: &Program, m: &Map, step: &Step) -> Flow {
        if let Step::ById(op) = step {
            return match by_id::open(&mut self.cx, m, op)? {
                Some(second) => self.step(p, &second, &op.step()),
                None => Ok(()),
            };
        }
        let cx = &mut self.cx;
        match step {
            Step::Update(op) => elem::elem(cx, m, elem::Command::Update, op),
            Step::Lookup(op) => elem::elem(cx, m, elem::Command::Lookup, op),
            Step::LookupAndDelete(op) => elem::elem(cx, m, elem::Command::LookupAndDelete, op),
            Step::Delete(op) => elem::elem(cx, m, elem::Command::Delete, op),
            Step::Fill(op) => elem::fill(cx, m, op),
            Step::GetNextKey(op) => iterate::next_key(cx, m, op),
            Step::Keys(op) => iterate::keys(cx, m, op),
            Step::LookupBatch(op) => batch::batch(cx, m, batch::Command::Lookup, op),
            Step::LookupAndDeleteBatch(op) => {
                batch::batch(cx, m, batch::Command::LookupAndDelete, op)
            }
            Step::UpdateBatch(op) => batch::batch(cx, m, batch::Command::Update, op),
            Step::DeleteBatch(op) => batch::batch(cx, m, batch::Command::Delete, op),
            Step::Freeze(op) => {
                let got = crate::sys::map::freeze(&m.fd);
                cx.check("freeze()".into(), op.expect, got)
            }
            Step::Mmap(op) => mmap::mmap(cx, m, op),
            Step::TornRead(op) => torn::torn_read(cx, m, op),
            Step::ProgLoad(op) => programs::load_checked(cx, m, &op.program, op.expect).map(drop),
            Step::ProgRun(op) => programs::prog_run(cx, m, op),
            Step::ProgRace(op) => races::prog_race(cx, m, op),
            Step::ProgTorn(op) => torn::prog_torn(cx, m, op),
            Step::PushPopRace(op) => push_pop::push_pop_race(cx, m, op),
            Step::RawCreate(op) => raw_create::raw_create(cx, p, m, op),
            // Run above, through the second fd.
            Step::ById(_) => Ok(()),
        }
    }
}

/// Run one program. The maps and fixtures it creates are closed before
/// this returns.
pub fn execute(program: &Program, env: &Env) -> Execution {
    let mut it = StepInterpreter {
        env,
        cx: Context::new(program.refusal),
    };
    let verdict = Verdict::of(it.run(program));
    let cx = it.cx;
    Execution {
        verdict,
        trace: cx.trace,
        expected: cx.expected,
        decisive: cx.decisive,
        measurement: cx.measurement,
    }
}
