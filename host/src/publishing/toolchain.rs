//! The versions of the tools a Rust mechanism's build uses, as a manifest
//! records them: what `rustc --version` and `wasm-tools --version` print.
//!
//! `rustc` is asked in the source directory, so a `rust-toolchain.toml`
//! there is honoured as it is by the build. `wasm-tools` is the one in
//! `WASM_TOOLS` if set (as `subnets/build.sh` uses it), else the one on the
//! `PATH`. A tool that is not installed is left out. A publisher whose build
//! uses other tools (JavaScript, C) names them with `--toolchain` instead,
//! and then nothing is detected.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// The tool name → version line of each tool found, asked in `dir`.
pub fn detect(dir: &Path) -> BTreeMap<String, String> {
    let wasm_tools = std::env::var_os("WASM_TOOLS").unwrap_or_else(|| "wasm-tools".into());
    [("rustc", "rustc".into()), ("wasm-tools", wasm_tools)]
        .into_iter()
        .filter_map(|(tool, program)| {
            let version = version_of(Command::new(program).current_dir(dir))?;
            Some((tool.to_string(), version))
        })
        .collect()
}

/// The first line `command --version` prints, if it runs and succeeds.
fn version_of(command: &mut Command) -> Option<String> {
    let output = command.arg("--version").output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let line = text.lines().next()?.trim();
    (output.status.success() && !line.is_empty()).then(|| line.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustc_is_found_and_a_missing_tool_is_left_out() {
        let tools = detect(Path::new("."));
        assert!(
            tools.get("rustc").is_some_and(|v| v.starts_with("rustc ")),
            "{tools:?}"
        );
        assert_eq!(version_of(&mut Command::new("no-such-tool-arbiter")), None);
    }
}
