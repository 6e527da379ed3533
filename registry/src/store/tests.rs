//! The store's rules and its bad-input cases, with the test admission.

use std::sync::{Arc, Barrier};

use super::*;
use crate::admission::testing::{Prefix, WORLD};
use crate::manifest::{Draft, Limits};
use crate::{Keypair, Manifest};

fn store(dir: &tempfile::TempDir) -> Store {
    Store::open(dir.path()).unwrap()
}

fn manifest(release: &str, bytes: &[u8], key: &Keypair) -> Manifest {
    Draft {
        release: release.parse().unwrap(),
        world: WORLD.into(),
        limits: Limits {
            fuel_per_call: 1000,
            memory_bytes: 1 << 20,
        },
        source: None,
    }
    .complete(Digests::of(bytes), key.public())
}

fn signed(release: &str, bytes: &[u8], key: &Keypair) -> SignedManifest {
    SignedManifest::sign(manifest(release, bytes, key), key).unwrap()
}

fn alice() -> Keypair {
    Keypair::dev("alice").unwrap()
}

/// Stores `bytes` and releases them as `release`.
fn publish(store: &Store, release: &str, bytes: &[u8], key: &Keypair) -> Result<Released> {
    store.put(bytes)?;
    store.release(signed(release, bytes, key), &Prefix)
}

fn blob_path(dir: &tempfile::TempDir, bytes: &[u8]) -> PathBuf {
    dir.path()
        .join("blobs")
        .join(ContentHash::of(bytes).to_hex())
}

#[test]
fn published_components_read_back_verified() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let released = publish(&store, "mech@1.0.0", b"component one", &alice()).unwrap();
    assert!(matches!(released, Released::Published(_)));
    let hash = ContentHash::of(b"component one");
    assert_eq!(store.read(&hash).unwrap(), b"component one");
    let recorded = store.inner.index.digests(&hash).unwrap();
    assert_eq!(recorded, Some(Digests::of(b"component one")));
    assert_eq!(
        store.manifest(&"mech@1.0.0".parse().unwrap()).unwrap(),
        *released.manifest()
    );
    assert_eq!(
        store.manifests_of(&hash).unwrap(),
        vec![released.manifest().clone()]
    );
    assert_eq!(store.list().unwrap().len(), 1);
}

#[test]
fn a_version_binds_to_one_hash_and_the_same_bytes_are_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let first = publish(&store, "mech@1.0.0", b"component one", &alice()).unwrap();
    let again = publish(&store, "mech@1.0.0", b"component one", &alice()).unwrap();
    assert_eq!(again, Released::Unchanged(first.manifest().clone()));
    let error = publish(&store, "mech@1.0.0", b"component two", &alice()).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, Error::Conflict { .. }), "{message}");
    assert!(
        message.contains(&ContentHash::of(b"component one").to_string()),
        "{message}"
    );
    assert!(publish(&store, "mech@1.0.1", b"component two", &alice()).is_ok());
}

#[test]
fn a_name_belongs_to_its_first_publisher() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    publish(&store, "mech@1.0.0", b"component one", &alice()).unwrap();
    let bob = Keypair::dev("bob").unwrap();
    let error = publish(&store, "mech@2.0.0", b"component two", &bob).unwrap_err();
    assert!(matches!(error, Error::NameTaken { .. }), "{error}");
    assert!(publish(&store, "bobs@1.0.0", b"component two", &bob).is_ok());
}

#[test]
fn a_flipped_byte_is_detected_on_read_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    publish(&store, "mech@1.0.0", b"component one", &alice()).unwrap();
    let path = blob_path(&dir, b"component one");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[3] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();

    let hash = ContentHash::of(b"component one");
    let release = signed("mech@1.0.1", b"component one", &alice());
    for error in [
        store.read(&hash).unwrap_err(),
        store.open_verified(&hash).map(|_| ()).unwrap_err(),
        store.release(release, &Prefix).map(|_| ()).unwrap_err(),
    ] {
        let message = error.to_string();
        assert!(matches!(error, Error::Corrupt { .. }), "{message}");
        assert!(message.contains(&hash.to_string()), "{message}");
        assert!(message.contains(&path.display().to_string()), "{message}");
    }
    // Storing the right bytes again repairs it.
    store.put(&b"component one"[..]).unwrap();
    assert_eq!(store.read(&hash).unwrap(), b"component one");
}

#[test]
fn a_truncated_blob_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    publish(&store, "mech@1.0.0", b"component one", &alice()).unwrap();
    let path = blob_path(&dir, b"component one");
    std::fs::write(&path, b"component").unwrap();
    let error = store.read(&ContentHash::of(b"component one")).unwrap_err();
    assert!(error.to_string().contains("its 9 bytes hash to"), "{error}");
}

#[test]
fn a_tampered_manifest_is_refused_on_read() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let released = publish(&store, "mech@1.0.0", b"component one", &alice()).unwrap();
    let release = "mech@1.0.0".parse().unwrap();
    let mut value = serde_json::to_value(released.manifest()).unwrap();
    value["limits"]["fuel_per_call"] = serde_json::json!(1_000_000);
    store
        .tamper(&release, &serde_json::to_vec(&value).unwrap())
        .unwrap();
    assert!(matches!(
        store.manifest(&release),
        Err(Error::BadSignature { .. })
    ));
    assert!(matches!(store.list(), Err(Error::BadSignature { .. })));
}

#[test]
fn releases_are_checked_against_the_stored_blob() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let key = alice();
    // Not uploaded.
    let error = store
        .release(signed("mech@1.0.0", b"component one", &key), &Prefix)
        .unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }), "{error}");
    // Refused by admission.
    store.put(&b"not a component"[..]).unwrap();
    let error = store
        .release(signed("mech@1.0.0", b"not a component", &key), &Prefix)
        .unwrap_err();
    assert!(matches!(error, Error::Refused { .. }), "{error}");
    // Claims another world.
    store.put(&b"component one"[..]).unwrap();
    let mut other = manifest("mech@1.0.0", b"component one", &key);
    other.world = "other:thing/world@1.0.0".into();
    let error = store
        .release(SignedManifest::sign(other, &key).unwrap(), &Prefix)
        .unwrap_err();
    assert!(
        matches!(error, Error::Mismatch { field: "world", .. }),
        "{error}"
    );
    // Claims another SHA-256.
    let mut lying = manifest("mech@1.0.0", b"component one", &key);
    lying.component.sha256 = sha256_hex(b"other");
    let error = store
        .release(SignedManifest::sign(lying, &key).unwrap(), &Prefix)
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Mismatch {
                field: "sha256",
                ..
            }
        ),
        "{error}"
    );
    assert!(store.list().unwrap().is_empty());
}

#[test]
fn an_oversized_blob_is_refused_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        max_blob_bytes: 10,
        ..StoreOptions::default()
    };
    let store = Store::open_with(dir.path(), &options).unwrap();
    let error = store.put(&b"component one"[..]).unwrap_err();
    assert!(
        matches!(error, Error::TooLarge { limit: 10, .. }),
        "{error}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("blobs")).unwrap().count(),
        0
    );
}

/// Real threads race to publish different bytes as the same version.
#[test]
fn concurrent_publishes_of_one_version_have_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let racers = 8;
    let barrier = Arc::new(Barrier::new(racers));
    let results: Vec<Result<Released>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..racers)
            .map(|i| {
                let (store, barrier) = (store.clone(), Arc::clone(&barrier));
                scope.spawn(move || {
                    let bytes = format!("component {i}").into_bytes();
                    store.put(bytes.as_slice()).unwrap();
                    let signed = signed("mech@1.0.0", &bytes, &alice());
                    barrier.wait();
                    store.release(signed, &Prefix)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<&Released> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let winner = winners[0].manifest().manifest().component.blake3;
    for result in &results {
        match result {
            Ok(Released::Published(_)) => {}
            Err(Error::Conflict { existing, .. }) => assert_eq!(*existing, winner),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(store.read(&winner).unwrap(), store.read(&winner).unwrap());
    assert_eq!(store.list().unwrap().len(), 1);
}

#[test]
fn a_store_is_used_by_one_process_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let _first = store(&dir);
    let options = StoreOptions {
        busy_timeout: Duration::from_millis(50),
        ..StoreOptions::default()
    };
    let error = Store::open_with(dir.path(), &options).err().unwrap();
    assert!(matches!(error, Error::Busy { .. }), "{error}");
}

/// A blob stored without a release (a crash in between), and a temporary
/// file (a crash mid-write): reopening cleans the second, and publishing
/// again succeeds.
#[test]
fn reopening_after_a_crash_leaves_a_consistent_store() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = store(&dir);
        store.put(&b"component one"[..]).unwrap();
        let mut upload = store.writer().unwrap();
        upload
            .write(bytes::Bytes::from_static(b"half a comp"))
            .unwrap();
        // Never finished nor dropped: what a crash leaves.
        let Upload { blob, store: _ } = upload;
        std::mem::forget(blob);
    }
    let names = |dir: &tempfile::TempDir| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir.path().join("blobs"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(&dir).len(), 2);
    let store = store(&dir);
    assert_eq!(
        names(&dir),
        vec![ContentHash::of(b"component one").to_hex()]
    );
    assert!(store.list().unwrap().is_empty());
    assert!(publish(&store, "mech@1.0.0", b"component one", &alice()).is_ok());
}

#[test]
fn transcripts_are_filed_under_the_root_admission_reads_and_read_back_verified() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let bytes = b"transcript of epoch 7";
    let filed = store.put_transcript(bytes, &Prefix).unwrap();
    let root = ContentHash::of(bytes);
    assert_eq!(filed.root, root);
    assert_eq!(filed.blob, Digests::of(bytes));
    assert_eq!(store.put_transcript(bytes, &Prefix).unwrap(), filed);
    assert_eq!(store.transcript(&root).unwrap(), bytes);

    // Unknown roots are not found; what admission refuses is not filed.
    let unknown = ContentHash::of(b"transcript never filed");
    assert!(matches!(
        store.transcript(&unknown),
        Err(Error::NotFound { .. })
    ));
    let refused = store.put_transcript(b"not one", &Prefix).unwrap_err();
    assert!(matches!(refused, Error::Refused { .. }), "{refused}");
    assert!(matches!(
        store.transcript(&ContentHash::of(b"not one")),
        Err(Error::NotFound { .. })
    ));

    // A flipped byte on disk is caught on read, and survives a reopen.
    drop(store);
    let path = blob_path(&dir, bytes);
    let mut on_disk = std::fs::read(&path).unwrap();
    on_disk[0] ^= 0x01;
    std::fs::write(&path, on_disk).unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert!(matches!(
        store.transcript(&root),
        Err(Error::Corrupt { .. })
    ));
}
