//! Builds the example mechanisms in `subnets/` (with `subnets/build.sh`, the
//! same reproducible build a publisher runs) so that the `arbiter` binary
//! can embed them for `arbiter demo`, and the end-to-end tests can run the
//! real components. Their paths reach the code as `ARBITER_WASM_<NAME>`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The crates of the subnets workspace, each built to `<name>.wasm`.
const MECHANISMS: &[&str] = &[
    "echo-double",
    "text-match",
    "hostile",
    "echo-double-solver",
    "text-match-solver",
];

/// The mechanisms in other languages, each built to `<name>.wasm` by its
/// language's script (`subnets/build-py.sh`, `build-js.sh`, `build-c.sh`;
/// `build.sh` picks it by the name's suffix) from the directory given here
/// and that language's SDK.
const OTHER_LANGUAGES: &[(&str, &str)] = &[
    ("text-match-py", "subnets/text-match-py"),
    ("hostile-py", "guest-sdk/python/tests/hostile"),
    ("text-match-js", "subnets/text-match-js"),
    ("hostile-js", "guest-sdk/js/tests/hostile"),
    ("text-match-c", "subnets/text-match-c"),
];

/// What the other languages' builds read besides their mechanisms' own
/// directories: the build scripts and the SDKs.
const OTHER_LANGUAGE_INPUTS: &[&str] = &[
    "subnets/build-py.sh",
    "subnets/build-js.sh",
    "subnets/build-c.sh",
    "guest-sdk/python/arbiter_sdk",
    "guest-sdk/python/tests",
    "guest-sdk/js",
    "guest-sdk/c",
];

fn main() -> Result<(), String> {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?;
    let root = Path::new(&manifest_dir)
        .parent()
        .ok_or("the host crate has no parent directory")?
        .to_path_buf();
    let subnets = root.join("subnets");

    for input in [
        "Cargo.toml",
        "Cargo.lock",
        "build.sh",
        "wasm-tools.sh",
        ".cargo/config.toml",
    ] {
        rerun_if_changed(&subnets.join(input));
    }
    for name in MECHANISMS {
        rerun_if_changed(&subnets.join(name).join("src"));
        rerun_if_changed(&subnets.join(name).join("Cargo.toml"));
    }
    rerun_if_changed(&subnets.join("text-match/corpus.tsv"));
    rerun_if_changed(&root.join("guest-sdk/src"));
    rerun_if_changed(&root.join("guest-sdk/Cargo.toml"));
    rerun_if_changed(&root.join("wit"));
    for input in OTHER_LANGUAGE_INPUTS {
        rerun_if_changed(&root.join(input));
    }
    for (_, dir) in OTHER_LANGUAGES {
        rerun_if_changed(&root.join(dir));
    }

    let status = Command::new(subnets.join("build.sh"))
        // The outer cargo's settings must not leak into the wasm build: a
        // wrapper (clippy sets one) or flags would change its output.
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .status()
        .map_err(|e| format!("cannot run subnets/build.sh: {e}"))?;
    if !status.success() {
        return Err(format!(
            "subnets/build.sh failed ({status}); see the output above. \
             If a wasm target is missing: make setup"
        ));
    }

    let out = subnets.join("target/components");
    let others = OTHER_LANGUAGES.iter().map(|(name, _)| name);
    for name in MECHANISMS.iter().chain(others) {
        let wasm: PathBuf = out.join(format!("{name}.wasm"));
        if !wasm.exists() {
            return Err(format!("{} was not built", wasm.display()));
        }
        let var = format!("ARBITER_WASM_{}", name.replace('-', "_").to_uppercase());
        println!("cargo:rustc-env={var}={}", wasm.display());
    }
    Ok(())
}

fn rerun_if_changed(path: &Path) {
    println!("cargo:rerun-if-changed={}", path.display());
}
