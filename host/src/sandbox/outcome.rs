//! Every mechanism call ends in a typed outcome, never in an error string
//! that depends on the operating system or the wasmtime version.
//!
//! Outcomes split in two. *Verdicts* are reproducible: the same component
//! and inputs give the same verdict on every machine (the call returned, the
//! mechanism reported an error, fuel ran out, a limit was hit, the guest
//! trapped, or its output broke the contract). They are data: they enter
//! transcripts and decide what happens to the state. *Host faults* are not
//! reproducible (stack overflow depends on native frame sizes, the
//! wall-clock backstop on machine speed, an I/O error on the machine): they
//! are reported to the operator and never folded into scores.

use serde::{Deserialize, Serialize};
use wasmtime::Trap;

use super::bindings::MechanismError;
use super::store::LimitHit;

/// How a call failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Failure {
    /// The mechanism returned an error of its own.
    #[error("the mechanism reported {}: {message}", error.as_str())]
    Mechanism {
        /// Which kind of error.
        error: MechanismErrorKind,
        /// The mechanism's message.
        message: String,
    },
    /// The call used up its fuel budget.
    #[error("the call ran out of fuel ({budget} units)")]
    OutOfFuel {
        /// The budget it had.
        budget: u64,
    },
    /// The guest asked for more memory than its limit.
    #[error("the call exceeded its memory limit of {limit} bytes")]
    MemoryLimit {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The guest grew a table beyond its limit.
    #[error("the call exceeded its table limit of {limit} elements")]
    TableLimit {
        /// The limit, in elements.
        limit: u64,
    },
    /// The guest trapped (a Rust panic ends in `unreachable`).
    #[error("the mechanism trapped: {code}")]
    Trap {
        /// The trap, as a stable kebab-case code.
        code: String,
    },
    /// The call returned, but its output breaks the contract (too large,
    /// malformed payloads, uids outside the metagraph, non-finite weights).
    #[error("the mechanism returned invalid output: {reason}")]
    InvalidOutput {
        /// What is wrong with it.
        reason: String,
    },
    /// Not reproducible; see [`HostFault`].
    #[error("host fault: {0}")]
    HostFault(HostFault),
}

/// The kinds of [`MechanismError`], without their payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MechanismErrorKind {
    /// `invalid-config`.
    InvalidConfig,
    /// `invalid-state`.
    InvalidState,
    /// `invalid-input`.
    InvalidInput,
}

impl MechanismErrorKind {
    /// The WIT name of the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidConfig => "invalid-config",
            Self::InvalidState => "invalid-state",
            Self::InvalidInput => "invalid-input",
        }
    }
}

/// A failure that says something about the host, not the mechanism.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "fault", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum HostFault {
    /// The guest overflowed the native stack (depends on frame sizes).
    #[error("the guest overflowed its stack (not reproducible across hosts)")]
    StackOverflow,
    /// The wall-clock backstop fired.
    #[error("the call passed the {millis} ms wall-clock backstop")]
    Deadline {
        /// The backstop, in milliseconds.
        millis: u64,
    },
    /// Anything else: the message is for the operator only.
    #[error("{message}")]
    Other {
        /// What happened.
        message: String,
    },
}

impl Failure {
    /// Whether every host would reach this same failure for the same inputs.
    pub fn is_verdict(&self) -> bool {
        !matches!(self, Failure::HostFault(_))
    }

    /// The failure for a mechanism's own error.
    pub fn from_mechanism(error: MechanismError) -> Self {
        let (error, message) = match error {
            MechanismError::InvalidConfig(m) => (MechanismErrorKind::InvalidConfig, m),
            MechanismError::InvalidState(m) => (MechanismErrorKind::InvalidState, m),
            MechanismError::InvalidInput(m) => (MechanismErrorKind::InvalidInput, m),
        };
        Failure::Mechanism { error, message }
    }

    /// Classifies an error out of wasmtime, given what the limiter saw.
    pub(super) fn classify(
        error: &wasmtime::Error,
        limit_hit: Option<LimitHit>,
        limits: &super::Limits,
    ) -> Self {
        match limit_hit {
            Some(LimitHit::Memory) => {
                return Failure::MemoryLimit {
                    limit: limits.memory_bytes,
                };
            }
            Some(LimitHit::Table) => {
                return Failure::TableLimit {
                    limit: limits.table_elements,
                };
            }
            None => {}
        }
        let Some(trap) = error.downcast_ref::<Trap>() else {
            return Failure::HostFault(HostFault::Other {
                message: format!("{error:#}"),
            });
        };
        match trap {
            Trap::OutOfFuel => Failure::OutOfFuel {
                budget: limits.fuel_per_call,
            },
            Trap::StackOverflow => Failure::HostFault(HostFault::StackOverflow),
            Trap::Interrupt => Failure::HostFault(HostFault::Deadline {
                millis: limits.wall_clock_ms,
            }),
            other => Failure::Trap {
                code: trap_code(*other).to_string(),
            },
        }
    }
}

/// A stable name for a trap, independent of wasmtime's display text.
fn trap_code(trap: Trap) -> &'static str {
    match trap {
        Trap::MemoryOutOfBounds => "memory-out-of-bounds",
        Trap::HeapMisaligned => "heap-misaligned",
        Trap::TableOutOfBounds => "table-out-of-bounds",
        Trap::IndirectCallToNull => "indirect-call-to-null",
        Trap::BadSignature => "bad-signature",
        Trap::IntegerOverflow => "integer-overflow",
        Trap::IntegerDivisionByZero => "integer-division-by-zero",
        Trap::BadConversionToInteger => "bad-conversion-to-integer",
        Trap::UnreachableCodeReached => "unreachable",
        Trap::NullReference => "null-reference",
        Trap::AllocationTooLarge => "allocation-too-large",
        Trap::CannotEnterComponent => "cannot-enter-component",
        Trap::InvalidChar => "invalid-char",
        Trap::StringOutOfBounds => "string-out-of-bounds",
        Trap::ListOutOfBounds => "list-out-of-bounds",
        Trap::InvalidDiscriminant => "invalid-discriminant",
        Trap::UnalignedPointer => "unaligned-pointer",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_serialise_with_a_stable_kind() -> serde_json::Result<()> {
        let json = serde_json::to_string(&Failure::OutOfFuel { budget: 10 })?;
        assert_eq!(json, r#"{"kind":"out-of-fuel","budget":10}"#);
        let json = serde_json::to_string(&Failure::HostFault(HostFault::StackOverflow))?;
        assert_eq!(json, r#"{"kind":"host-fault","fault":"stack-overflow"}"#);
        Ok(())
    }

    #[test]
    fn only_host_faults_are_not_verdicts() {
        assert!(
            Failure::Trap {
                code: "unreachable".into()
            }
            .is_verdict()
        );
        assert!(!Failure::HostFault(HostFault::StackOverflow).is_verdict());
    }
}
