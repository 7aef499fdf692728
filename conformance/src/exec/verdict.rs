//! What a program's run ends with, and why a run stops early.

/// The result of one program.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Pass,
    /// The kernel disagreed with the spec.
    Fail {
        expected: String,
        observed: String,
    },
    /// The machine cannot run this check (missing fixture, feature...).
    Skip {
        reason: String,
    },
    /// The check itself could not run (bad spec data, runner bug).
    Error {
        message: String,
    },
}

/// What the kernel did against what the spec says, each as the evidence
/// reads: `what -> expected` and `what -> observed`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub expected: String,
    pub observed: String,
}

impl Mismatch {
    /// A mismatch of the operation `what`.
    pub fn at(what: &str, expected: impl ToString, observed: impl ToString) -> Mismatch {
        Mismatch {
            expected: format!("{what} -> {}", expected.to_string()),
            observed: format!("{what} -> {}", observed.to_string()),
        }
    }
    /// A mismatch given as two whole sentences.
    pub fn new(expected: impl Into<String>, observed: impl Into<String>) -> Mismatch {
        Mismatch {
            expected: expected.into(),
            observed: observed.into(),
        }
    }
}

/// Why the interpreter stops before the end of a program.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// A refusal check met the older outcome: the claim holds, and nothing
    /// after that operation can run.
    Refused,
    Mismatch(Mismatch),
    Skip(String),
    Error(String),
}

/// The result of a step: go on, or stop.
pub type Flow<T = ()> = Result<T, Stop>;

impl From<Mismatch> for Stop {
    fn from(m: Mismatch) -> Stop {
        Stop::Mismatch(m)
    }
}

/// An error in the check itself, from a message.
pub fn error(message: impl Into<String>) -> Stop {
    Stop::Error(message.into())
}

impl Verdict {
    /// The verdict of a program that ran to its end (`Ok`) or stopped.
    pub fn of(flow: Flow) -> Verdict {
        match flow {
            Ok(()) | Err(Stop::Refused) => Verdict::Pass,
            Err(Stop::Mismatch(m)) => Verdict::Fail {
                expected: m.expected,
                observed: m.observed,
            },
            Err(Stop::Skip(reason)) => Verdict::Skip { reason },
            Err(Stop::Error(message)) => Verdict::Error { message },
        }
    }
}
