//! Admission: the checks a component passes before it may run, each failure
//! a typed error that names what is wrong.
//!
//! In order: the size is under the limit; the bytes are a WebAssembly
//! component (not a core module, not garbage); every import is on the
//! allow-list (the error names the first one that is not); the component
//! exports the `arbiter:mechanism/mechanism@0.1.0` interface with exactly the
//! contract's types; and its static resources (memories, tables) fit the
//! limits. The registry runs the same checks when a mechanism is published.
//! A reference miner's solver passes the same checks, with the `solver`
//! export of the `miner` world in place of `mechanism`.

use wasmtime::Engine;
use wasmtime::component::Component;

use super::limits::Limits;

/// The interface every mechanism exports.
pub const MECHANISM_EXPORT: &str = "arbiter:mechanism/mechanism@0.1.0";

/// The world a mechanism implements, as `package/world@version`.
pub const WORLD: &str = "arbiter:mechanism/subnet@0.1.0";

/// The interface every reference miner's solver exports.
pub const SOLVER_EXPORT: &str = "arbiter:mechanism/solver@0.1.0";

/// The world a solver implements, as `package/world@version`.
pub const SOLVER_WORLD: &str = "arbiter:mechanism/miner@0.1.0";

/// Why a component was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdmissionError {
    /// Larger than the component size limit.
    #[error("component is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Not WebAssembly at all.
    #[error("not a WebAssembly binary (bad magic number or version)")]
    NotWasm,
    /// A core module, not a component.
    #[error(
        "a core WebAssembly module, not a component: build with `--target wasm32-wasip2` \
         or wrap it with `wasm-tools component new`"
    )]
    CoreModule,
    /// Malformed or not valid under Arbiter's deterministic feature set.
    #[error("invalid component: {detail}")]
    Invalid {
        /// The validator's explanation.
        detail: String,
    },
    /// Imports something outside the allow-list.
    #[error(
        "import `{import}` is not allowed: a mechanism may import only `arbiter:mechanism/log`, `arbiter:mechanism/types` and WASI 0.2 interfaces"
    )]
    ImportNotAllowed {
        /// The offending import.
        import: String,
    },
    /// Does not export the mechanism interface.
    #[error("does not export `{MECHANISM_EXPORT}` (exports: {})", if found.is_empty() { "none".to_string() } else { found.join(", ") })]
    MissingExport {
        /// What it exports instead.
        found: Vec<String>,
    },
    /// Exports the interface with different types, or its imports do not
    /// type-check against the host's.
    #[error("does not match the `{WORLD}` world: {detail}")]
    WorldMismatch {
        /// wasmtime's explanation of the mismatch.
        detail: String,
    },
    /// `describe` did not return valid facts (so no call can be planned).
    #[error("`describe` failed: {0}")]
    DescribeFailed(super::outcome::Failure),
    /// A solver that does not export the solver interface.
    #[error("does not export `{SOLVER_EXPORT}`, so it is not a solver (exports: {})", if found.is_empty() { "none".to_string() } else { found.join(", ") })]
    MissingSolverExport {
        /// What it exports instead.
        found: Vec<String>,
    },
    /// A solver that exports the interface with different types, or whose
    /// imports do not type-check against the host's.
    #[error("does not match the `{SOLVER_WORLD}` world: {detail}")]
    SolverWorldMismatch {
        /// wasmtime's explanation of the mismatch.
        detail: String,
    },
    /// A solver that cannot be instantiated under its limits.
    #[error("cannot be instantiated: {0}")]
    InstantiationFailed(super::outcome::Failure),
    /// Needs more memories, tables or initial memory than its limits allow.
    #[error("needs {needed} {what}, over the limit of {limit}")]
    ResourcesTooLarge {
        /// Which resource.
        what: &'static str,
        /// How much it needs.
        needed: u64,
        /// The limit.
        limit: u64,
    },
}

/// WASI 0.2 interfaces a mechanism may import, as `package/interface`. The
/// host provides each one virtually (see [`super::wasi`]): imports that would
/// reach the outside world link, but have nothing to reach.
const ALLOWED_WASI: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:filesystem/preopens",
    "wasi:filesystem/types",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:random/random",
    "wasi:sockets/instance-network",
    "wasi:sockets/ip-name-lookup",
    "wasi:sockets/network",
    "wasi:sockets/tcp",
    "wasi:sockets/tcp-create-socket",
    "wasi:sockets/udp",
    "wasi:sockets/udp-create-socket",
];

/// The contract's own interfaces a mechanism may import: `log`, and
/// `types`, which holds only type definitions (a component imports it
/// because its exports use those types).
const ALLOWED_CONTRACT: &[&str] = &[
    "arbiter:mechanism/log@0.1.0",
    "arbiter:mechanism/types@0.1.0",
];

/// Whether a component may import `name`.
pub fn import_allowed(name: &str) -> bool {
    if ALLOWED_CONTRACT.contains(&name) {
        return true;
    }
    let Some((interface, version)) = name.split_once('@') else {
        return false;
    };
    version.starts_with("0.2.") && ALLOWED_WASI.contains(&interface)
}

/// The cheap checks that need no compilation: size and kind of binary.
pub fn check_bytes(bytes: &[u8], limits: &Limits) -> Result<(), AdmissionError> {
    let size = bytes.len() as u64;
    if size > limits.component_bytes {
        return Err(AdmissionError::TooLarge {
            size,
            limit: limits.component_bytes,
        });
    }
    if wasmparser::Parser::is_component(bytes) {
        Ok(())
    } else if wasmparser::Parser::is_core_wasm(bytes) {
        Err(AdmissionError::CoreModule)
    } else {
        Err(AdmissionError::NotWasm)
    }
}

/// The checks on a compiled component: imports, exports and resources.
/// (The export types are checked when the host pre-instantiates it.)
pub fn check_component(
    engine: &Engine,
    component: &Component,
    limits: &Limits,
) -> Result<(), AdmissionError> {
    check_world(engine, component, limits, MECHANISM_EXPORT, |found| {
        AdmissionError::MissingExport { found }
    })
}

/// [`check_component`] for a reference miner's solver.
pub fn check_solver_component(
    engine: &Engine,
    component: &Component,
    limits: &Limits,
) -> Result<(), AdmissionError> {
    check_world(engine, component, limits, SOLVER_EXPORT, |found| {
        AdmissionError::MissingSolverExport { found }
    })
}

/// Imports on the allow-list, `export` present, resources within limits.
fn check_world(
    engine: &Engine,
    component: &Component,
    limits: &Limits,
    export: &str,
    missing: impl FnOnce(Vec<String>) -> AdmissionError,
) -> Result<(), AdmissionError> {
    let ty = component.component_type();
    if let Some((import, _)) = ty.imports(engine).find(|(name, _)| !import_allowed(name)) {
        return Err(AdmissionError::ImportNotAllowed {
            import: import.to_string(),
        });
    }
    if ty.get_export(engine, export).is_none() {
        return Err(missing(
            ty.exports(engine)
                .map(|(name, _)| name.to_string())
                .collect(),
        ));
    }
    check_resources(component, limits)
}

fn check_resources(component: &Component, limits: &Limits) -> Result<(), AdmissionError> {
    let Some(needs) = component.resources_required() else {
        return Ok(());
    };
    let page = 64 * 1024;
    let checks = [
        (
            "linear memories",
            u64::from(needs.num_memories),
            u64::from(limits.memories),
        ),
        (
            "tables",
            u64::from(needs.num_tables),
            u64::from(limits.tables),
        ),
        (
            "bytes of initial memory",
            needs
                .max_initial_memory_size
                .unwrap_or(0)
                .saturating_mul(page),
            limits.memory_bytes,
        ),
        (
            "initial table elements",
            needs.max_initial_table_size.unwrap_or(0),
            limits.table_elements,
        ),
    ];
    match checks.into_iter().find(|(_, needed, limit)| needed > limit) {
        Some((what, needed, limit)) => Err(AdmissionError::ResourcesTooLarge {
            what,
            needed,
            limit,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list_matches_interfaces_not_prefixes() {
        assert!(import_allowed("wasi:cli/environment@0.2.0"));
        assert!(import_allowed("wasi:io/streams@0.2.6"));
        assert!(import_allowed("arbiter:mechanism/log@0.1.0"));
        assert!(!import_allowed("wasi:http/outgoing-handler@0.2.0"));
        assert!(!import_allowed("wasi:cli/environment@0.3.0"));
        assert!(!import_allowed("wasi:cli/environment"));
        assert!(!import_allowed("wasi:cli/environment-extra@0.2.0"));
        assert!(!import_allowed("arbiter:mechanism/log@0.2.0"));
        assert!(!import_allowed("evil:net/socket@1.0.0"));
    }

    #[test]
    fn size_is_checked_before_anything_else() {
        let limits = Limits {
            component_bytes: 3,
            ..Limits::default()
        };
        assert_eq!(
            check_bytes(b"\0asm", &limits),
            Err(AdmissionError::TooLarge { size: 4, limit: 3 })
        );
    }

    #[test]
    fn garbage_and_core_modules_are_told_apart() -> wasmtime::Result<()> {
        let limits = Limits::default();
        assert_eq!(
            check_bytes(b"hello world", &limits),
            Err(AdmissionError::NotWasm)
        );
        let module = wat::parse_str("(module)")?;
        assert_eq!(
            check_bytes(&module, &limits),
            Err(AdmissionError::CoreModule)
        );
        let component = wat::parse_str("(component)")?;
        assert_eq!(check_bytes(&component, &limits), Ok(()));
        Ok(())
    }
}
