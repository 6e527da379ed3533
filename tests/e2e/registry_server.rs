//! The registry over HTTP: a real `arbiter registry serve` process, and
//! real `arbiter` processes publishing, pulling and verifying through it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use crate::registry::{ECHO_DOUBLE, HOSTILE, Scratch, TEXT_MATCH, arbiter, assert_exit, json};
use crate::support::arbiter_bin;

/// A running server, stopped when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(store: &str, max_component_bytes: u64) -> Self {
        let mut child = Command::new(arbiter_bin())
            .args([
                "registry",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--store",
                store,
                "--no-cache",
            ])
            .args(["--max-component-bytes", &max_component_bytes.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("arbiter registry listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        Self { child, url }
    }

    fn address(&self) -> &str {
        self.url.trim_start_matches("http://")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn publish_pull_list_and_verify_through_a_server() {
    let scratch = Scratch::new();
    let server = Server::start(&scratch.path("store"), 1 << 20);
    let published = scratch.publish(TEXT_MATCH, "text-match@0.1.0", &server.url, &[]);
    assert_exit(&published, 0);
    let manifest = json(&published)["manifest"].clone();
    assert_eq!(json(&published)["registry"], server.url.as_str());

    let listed = json(&arbiter(&[
        "list",
        "--registry",
        &server.url,
        "--output",
        "json",
    ]));
    assert_eq!(listed["releases"], serde_json::json!([manifest]));

    let out = scratch.path("pulled.wasm");
    assert_exit(
        &arbiter(&[
            "pull",
            "text-match@0.1.0",
            "-o",
            &out,
            "--registry",
            &server.url,
        ]),
        0,
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(TEXT_MATCH).unwrap()
    );

    let verified = arbiter(&[
        "verify",
        "text-match@0.1.0",
        "--registry",
        &server.url,
        "--output",
        "json",
        "--no-cache",
    ]);
    assert_exit(&verified, 0);
    assert_eq!(json(&verified)["manifest"], manifest);

    let conflict = scratch.publish(ECHO_DOUBLE, "text-match@0.1.0", &server.url, &[]);
    assert_exit(&conflict, 1);
    assert_eq!(json(&conflict)["error"]["code"], "conflict");
}

/// Sends a raw HTTP/1.0 request (so the answer is not chunked); the
/// status line and the body.
fn raw_request(address: &str, head: &str, body: &[u8]) -> (String, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer before reading the body; it then closes.
    let _ = stream.write_all(body);
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer.lines().next().unwrap_or_default().to_string();
    let body = answer
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (status, body)
}

#[test]
fn an_oversized_upload_is_refused_with_413_and_a_clear_message() {
    let scratch = Scratch::new();
    let server = Server::start(&scratch.path("store"), 100_000);
    let head = format!(
        "PUT /v1/blobs HTTP/1.0\r\nHost: {}\r\nContent-Length: 200000\r\n\r\n",
        server.address()
    );
    let (status, body) = raw_request(server.address(), &head, &[0u8; 1000]);
    assert!(status.contains(" 413 "), "{status}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"]["code"], "too_large");
    assert_eq!(
        body["error"]["message"],
        "the upload is 200000 bytes or more, over the limit of 100000 bytes"
    );

    // `arbiter publish` learns the limit first and says so without sending.
    let refused = scratch.publish(HOSTILE, "hostile@1.0.0", &server.url, &[]);
    assert_exit(&refused, 1);
    let error = &json(&refused)["error"];
    assert_eq!(error["code"], "too_large");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("over the limit of 100000 bytes")
    );
}

#[test]
fn names_with_dots_slashes_or_nul_are_refused_by_the_server() {
    let scratch = Scratch::new();
    let server = Server::start(&scratch.path("store"), 1 << 20);
    for path in [
        "/v1/releases/..%2F..%2Fetc/1.0.0",
        "/v1/releases/a%00b/1.0.0",
        "/v1/blobs/..%2Fblobs",
    ] {
        let head = format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n");
        let (status, body) = raw_request(server.address(), &head, b"");
        assert!(status.contains(" 400 "), "{path}: {status} {body}");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(
            body["error"]["code"]
                .as_str()
                .unwrap()
                .starts_with("invalid_"),
            "{path}: {body}"
        );
    }
}

/// Real processes race to publish different components as one version.
#[test]
fn concurrent_publishes_of_one_version_have_exactly_one_winner() {
    let scratch = Scratch::new();
    let server = Server::start(&scratch.path("store"), 1 << 20);
    let key = scratch.path("key.json");
    let racers: Vec<Child> = [TEXT_MATCH, ECHO_DOUBLE, HOSTILE]
        .into_iter()
        .map(|component| {
            Command::new(arbiter_bin())
                .args([
                    "publish",
                    component,
                    "--name",
                    "race",
                    "--version",
                    "1.0.0",
                    "--key",
                    &key,
                ])
                .args(["--registry", &server.url, "--output", "json", "--no-cache"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = racers
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let winners = outputs
        .iter()
        .filter(|o| o.status.code() == Some(0))
        .count();
    assert_eq!(winners, 1, "{outputs:?}");
    for output in outputs.iter().filter(|o| o.status.code() != Some(0)) {
        assert_exit(output, 1);
        assert_eq!(json(output)["error"]["code"], "conflict");
    }
    let listed = json(&arbiter(&[
        "list",
        "--registry",
        &server.url,
        "--output",
        "json",
    ]));
    assert_eq!(listed["releases"].as_array().unwrap().len(), 1);
}
