//! The server and client together, over real loopback HTTP, with the test
//! admission.

use std::net::SocketAddr;

use super::*;
use crate::admission::testing::{Prefix, WORLD};
use crate::client::Client;
use crate::manifest::{Draft, Limits};
use crate::store::StoreOptions;
use crate::{Keypair, Reference, Registry, publish};

struct Running {
    url: String,
    store: Store,
    _dir: tempfile::TempDir,
}

async fn start(max_blob_bytes: u64) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        max_blob_bytes,
        ..StoreOptions::default()
    };
    let store = Store::open_with(dir.path(), &options).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let app = router(store.clone(), Arc::new(Prefix), &ServerConfig::default());
    tokio::spawn(serve(listener, app, std::future::pending()));
    Running {
        url: format!("http://{addr}"),
        store,
        _dir: dir,
    }
}

fn draft(release: &str) -> Draft {
    Draft {
        release: release.parse().unwrap(),
        world: WORLD.into(),
        limits: Limits {
            fuel_per_call: 1000,
            memory_bytes: 1 << 20,
        },
        source: None,
    }
}

fn component_file(dir: &tempfile::TempDir, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir
        .path()
        .join(format!("{}.wasm", ContentHash::of(bytes).to_hex()));
    std::fs::write(&path, bytes).unwrap();
    path
}

fn alice() -> Keypair {
    Keypair::dev("alice").unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn publish_list_and_pull_over_http() {
    let server = start(1 << 20).await;
    let registry = Registry::Remote(Client::new(&server.url).unwrap());
    let files = tempfile::tempdir().unwrap();
    let path = component_file(&files, b"component over http");

    let released = publish(&registry, &path, draft("mech@1.0.0"), &alice(), &Prefix)
        .await
        .unwrap();
    assert!(matches!(released, Released::Published(_)));
    let again = publish(&registry, &path, draft("mech@1.0.0"), &alice(), &Prefix)
        .await
        .unwrap();
    assert_eq!(again, Released::Unchanged(released.manifest().clone()));

    let listed = registry.list().await.unwrap();
    assert_eq!(listed, vec![released.manifest().clone()]);
    let by_hash = registry
        .resolve(
            &format!("{}", ContentHash::of(b"component over http"))
                .parse()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(&by_hash, released.manifest());

    let out = files.path().join("pulled.wasm");
    registry
        .pull(&released.manifest().manifest().component, &out)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), b"component over http");
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_keep_their_codes_over_http() {
    let server = start(1 << 20).await;
    let registry = Registry::Remote(Client::new(&server.url).unwrap());
    let files = tempfile::tempdir().unwrap();
    let one = component_file(&files, b"component one");
    let two = component_file(&files, b"component two");
    publish(&registry, &one, draft("mech@1.0.0"), &alice(), &Prefix)
        .await
        .unwrap();

    let error = publish(&registry, &two, draft("mech@1.0.0"), &alice(), &Prefix)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "conflict", "{error}");
    assert!(error.is_finding());
    assert!(
        error
            .to_string()
            .contains(&ContentHash::of(b"component one").to_string())
    );

    let garbage = component_file(&files, b"garbage");
    let error = publish(&registry, &garbage, draft("mech@2.0.0"), &alice(), &Prefix)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "refused", "{error}");

    let missing = "nope@1.0.0".parse().unwrap();
    let error = registry.resolve(&missing).await.unwrap_err();
    assert_eq!(error.code(), "not_found", "{error}");
}

/// Both ways of sending too much: a `Content-Length` over the limit (refused
/// before the body is read) and a chunked body that keeps going.
#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_upload_gets_413_and_a_clear_message() {
    let server = start(1000).await;
    let http = reqwest::Client::new();
    let url = format!("{}/v1/blobs", server.url);
    let declared = http.put(&url).body(vec![7u8; 5000]).send().await.unwrap();
    let chunks = futures::stream::iter((0..5).map(|_| Ok::<_, std::io::Error>(vec![7u8; 1000])));
    let chunked = http
        .put(&url)
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    for response in [declared, chunked] {
        assert_eq!(response.status(), 413);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "too_large");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("over the limit of 1000 bytes"),
            "{message}"
        );
    }
    let blobs = server.store.path().join("blobs");
    assert_eq!(std::fs::read_dir(blobs).unwrap().count(), 0, "nothing kept");

    // The client checks the limit before sending.
    let files = tempfile::tempdir().unwrap();
    let big = component_file(&files, &[b'c'; 2000]);
    let error = Client::new(&server.url)
        .unwrap()
        .upload(&big)
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::TooLarge { limit: 1000, .. }),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_publishes_over_http_have_one_winner() {
    let server = start(1 << 20).await;
    let files = tempfile::tempdir().unwrap();
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let path = component_file(&files, format!("component {i}").as_bytes());
            let registry = Registry::Remote(Client::new(&server.url).unwrap());
            tokio::spawn(async move {
                publish(&registry, &path, draft("mech@1.0.0"), &alice(), &Prefix).await
            })
        })
        .collect();
    let mut published = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(Released::Published(_)) => published += 1,
            Err(error) => assert_eq!(error.code(), "conflict", "{error}"),
            Ok(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(published, 1);
    assert_eq!(server.store.list().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_client_verifies_what_the_server_sends() {
    let server = start(1 << 20).await;
    let registry = Registry::Remote(Client::new(&server.url).unwrap());
    let files = tempfile::tempdir().unwrap();
    let bytes = b"component to corrupt";
    let path = component_file(&files, bytes);
    let released = publish(&registry, &path, draft("mech@1.0.0"), &alice(), &Prefix)
        .await
        .unwrap();
    let digests = released.manifest().manifest().component.clone();

    // A flipped byte on the server's disk: the server refuses to send it
    // and names the file.
    let blob = server
        .store
        .path()
        .join("blobs")
        .join(digests.blake3.to_hex());
    let mut stored = std::fs::read(&blob).unwrap();
    stored[0] ^= 0x20;
    std::fs::write(&blob, &stored).unwrap();
    let error = registry.fetch(&digests).await.unwrap_err();
    assert_eq!(error.code(), "corrupt", "{error}");
    assert!(
        error.to_string().contains(&blob.display().to_string()),
        "{error}"
    );

    // A manifest changed on the server's disk: the server refuses to send it.
    let release = "mech@1.0.0".parse().unwrap();
    server
        .store
        .tamper(&release, &tampered(released.manifest()))
        .unwrap();
    let error = registry
        .resolve(&Reference::Release(release))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "bad_signature", "{error}");
}

/// The JSON of `signed` with a member changed after signing.
fn tampered(signed: &SignedManifest) -> Vec<u8> {
    let mut value = serde_json::to_value(signed).unwrap();
    value["limits"]["memory_bytes"] = serde_json::json!(1u64 << 40);
    serde_json::to_vec(&value).unwrap()
}

/// A lying server, which sends a tampered manifest and the wrong bytes for
/// any hash: the client checks both itself.
#[tokio::test(flavor = "multi_thread")]
async fn the_client_refuses_what_a_lying_server_sends() {
    let key = alice();
    let manifest = draft("mech@1.0.0").complete(crate::Digests::of(b"the component"), key.public());
    let signed = SignedManifest::sign(manifest, &key).unwrap();
    let forged = tampered(&signed);
    let liar = Router::new()
        .route("/v1/blobs/{hash}", get(|| async { "not the component" }))
        .route(
            "/v1/releases/{name}/{version}",
            get(move || async move { forged }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, liar, std::future::pending()));
    let client = Client::new(&url).unwrap();

    let error = client
        .manifest(&"mech@1.0.0".parse().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::BadSignature { .. }), "{error}");

    let expected = &signed.manifest().component;
    let error = client
        .download(expected, &mut Vec::new())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Corrupt { .. }), "{error}");
    assert!(
        error.to_string().contains(&expected.blake3.to_string()),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn transcripts_are_filed_and_fetched_over_http() {
    let server = start(64).await;
    let registry = Registry::Remote(Client::new(&server.url).unwrap());
    let bytes = b"transcript over http".to_vec();
    let root = ContentHash::of(&bytes);
    let filed = registry
        .put_transcript(bytes.clone(), &Prefix)
        .await
        .unwrap();
    assert_eq!(filed.root, root);
    assert_eq!(
        registry
            .put_transcript(bytes.clone(), &Prefix)
            .await
            .unwrap(),
        filed
    );
    assert_eq!(registry.transcript(&root).await.unwrap(), bytes);
    assert_eq!(server.store.transcript(&root).unwrap(), bytes);

    let code = |error: Error| match error {
        Error::Remote { code, .. } => code,
        other => panic!("not a remote error: {other}"),
    };
    let refused = registry.put_transcript(b"not one".to_vec(), &Prefix).await;
    assert_eq!(code(refused.unwrap_err()), "refused");
    let unknown = registry.transcript(&ContentHash::of(b"none")).await;
    assert_eq!(code(unknown.unwrap_err()), "not_found");
    let oversized = registry.put_transcript(vec![b't'; 65], &Prefix).await;
    assert_eq!(code(oversized.unwrap_err()), "too_large");
}
