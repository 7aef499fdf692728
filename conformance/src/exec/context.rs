//! What one check accumulates while it runs (the evidence, the objects it
//! keeps alive), and the one rule that judges an operation's outcome.

use super::print::Aliases;
use super::verdict::{Flow, Mismatch, Stop};
use crate::fixtures::Fixtures;
use crate::sys::btf::LoadedBtf;
use crate::sys::map::Mapping;
use mapspec_spec::results::{Decisive, Measurement};
use mapspec_spec::Outcome;

/// The state of one check. Fields drop in order: the BTF object, then the
/// fixtures, then the mappings, all after the claim's map.
pub struct Context {
    /// Names for the numbers the kernel chose (ids, cookies).
    pub aliases: Aliases,
    /// One line per syscall: what was asked and what the kernel said.
    pub trace: Vec<String>,
    /// The spec's expectations for the decisive operations.
    pub expected: Vec<String>,
    /// The operation that decides the verdict so far: the last one
    /// checked, until counts take over (see [`Context::measured`]).
    pub decisive: Option<Decisive>,
    pub measurement: Option<Measurement>,
    /// The BTF object the claim's map was created with.
    pub btf: Option<LoadedBtf>,
    pub fixtures: Fixtures,
    /// Mappings an `mmap` step keeps until the check ends.
    pub mappings: Vec<Mapping>,
    /// On a refusal check: the older outcome, accepted from any operation.
    refusal: Option<Outcome>,
}

impl Context {
    pub fn new(refusal: Option<Outcome>) -> Context {
        Context {
            aliases: Aliases::default(),
            trace: Vec::new(),
            expected: Vec::new(),
            decisive: None,
            measurement: None,
            btf: None,
            fixtures: Fixtures::default(),
            mappings: Vec::new(),
            refusal,
        }
    }

    /// Record operation `what` and judge its outcome: every step family,
    /// in userspace or kernel side, goes through this one rule.
    pub fn check(&mut self, what: String, expect: Outcome, got: Outcome) -> Flow {
        self.trace.push(format!("{what} -> {got}"));
        // A refusal check accepts the older outcome at any operation: the
        // expected side says so, and shows the older outcome where it came.
        self.expected.push(match self.refusal {
            Some(r) if r != Outcome::Ok && got == r => format!("{what} -> {r} (the older outcome)"),
            Some(r) if r != Outcome::Ok && r != expect => {
                format!("{what} -> {expect}, or {r} (the older outcome)")
            }
            _ => format!("{what} -> {expect}"),
        });
        self.decide(&what, expect, got);
        match self.refusal {
            // A refusal check: this kernel refuses, at this operation or an
            // earlier one (e.g. BPF_MAP_CREATE rejects a newer flag), with
            // the older errno the spec gives. Nothing after it can run, and
            // the values a successful call would have returned are not
            // there to compare.
            Some(r) if r != Outcome::Ok && got == r => {
                // What the check accepted here is the older outcome.
                self.decide(&what, r, got);
                self.trace
                    .push(format!("{what} shows the older outcome {got}"));
                Err(Stop::Refused)
            }
            _ if expect == got => Ok(()),
            _ => Err(Mismatch::at(&what, expect, got).into()),
        }
    }

    /// Record `what` as the operation that decides the verdict.
    pub fn decide(&mut self, what: &str, expected: Outcome, observed: Outcome) {
        self.decisive = Some(Decisive {
            op: what.to_string(),
            expected,
            observed,
        });
    }

    /// Record a statistical check's counts: from here on they, not an
    /// operation's outcome, decide the verdict.
    pub fn measured(&mut self, m: Measurement) {
        self.measurement = Some(m);
        self.decisive = None;
    }

    /// Judge a statistical count against the spec's bounds: `count` is
    /// (the number, its unit, out of how many), e.g. `(3, "lost", Some(N))`.
    pub fn bounds(
        &mut self,
        what: &str,
        count: (u64, &str, Option<u64>),
        at_least: Option<u64>,
        at_most: Option<u64>,
    ) -> Flow {
        let (n, unit, of) = count;
        let observed = match of {
            Some(total) => format!("{n} {unit} of {total}"),
            None => format!("{n} {unit}"),
        };
        for (bound, holds, words) in [
            (at_most, at_most.is_none_or(|m| n <= m), "at most"),
            (at_least, at_least.is_none_or(|m| n >= m), "at least"),
        ] {
            let Some(b) = bound else { continue };
            self.expected.push(format!("{what}: {words} {b} {unit}"));
            if !holds {
                return Err(Mismatch::at(what, format!("{words} {b} {unit}"), observed).into());
            }
        }
        Ok(())
    }
}

/// A statistical count in words that do not change from run to run while
/// the verdict does not: the counts themselves go to the measurement.
pub fn bound_met(n: u64, unit: &str, at_least: Option<u64>, at_most: Option<u64>) -> String {
    match (at_least, at_most) {
        (Some(min), _) if n >= min => format!("at least {min} {unit}"),
        (_, Some(max)) if n <= max => format!("at most {max} {unit}"),
        (None, None) => format!("{unit} counted, no bound"),
        _ => "bound not met".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mapspec_spec::Errno;

    /// A refusal check that meets the older outcome records that
    /// operation as decisive, with the older outcome as what was expected.
    #[test]
    fn a_refusal_records_the_operation_that_showed_the_older_outcome() {
        let older = Outcome::Err(Errno::ENOTSUPP);
        let mut cx = Context::new(Some(older));
        assert_eq!(
            cx.check("BPF_MAP_CREATE(...)".into(), Outcome::Ok, Outcome::Ok),
            Ok(())
        );
        let got = cx.check("lookup_and_delete(key=1)".into(), older, older);
        assert_eq!(got, Err(Stop::Refused));
        let d = cx.decisive.clone().unwrap();
        assert_eq!(d.op, "lookup_and_delete(key=1)");
        assert_eq!((d.expected, d.observed), (older, older));
        // An earlier operation (here the create) may be the one refusing.
        let mut cx = Context::new(Some(older));
        let got = cx.check("BPF_MAP_CREATE(...)".into(), Outcome::Ok, older);
        assert_eq!(got, Err(Stop::Refused));
        let d = cx.decisive.unwrap();
        assert_eq!(
            (d.op.as_str(), d.expected, d.observed),
            ("BPF_MAP_CREATE(...)", older, older)
        );
    }

    #[test]
    fn an_unknown_errno_is_the_decisive_outcome_by_number() {
        let mut cx = Context::new(None);
        let got = cx.check(
            "update(key=1)".into(),
            Outcome::Ok,
            Outcome::from_errno(133),
        );
        assert!(matches!(got, Err(Stop::Mismatch(_))));
        let d = cx.decisive.clone().unwrap();
        assert_eq!(d.observed, Outcome::Unknown(133));
        assert_eq!(d.expected, Outcome::Ok);
        // Counts take over from an operation's outcome.
        cx.measured(Measurement::TornRead {
            budget_ms: 1,
            reads: 1,
            writes: 1,
            torn_reads: 0,
            read_errors: 0,
            write_errors: 0,
        });
        assert!(cx.decisive.is_none());
    }
}
