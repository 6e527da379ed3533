//! Tests of manifests: the golden vectors that pin the signed encoding,
//! and every way a manifest can be wrong.

use std::path::PathBuf;

use serde_json::json;

use super::*;

/// The golden manifest: fixed fields, signed by the dev key "publisher".
fn golden_manifest() -> Manifest {
    let bytes = b"a golden component";
    Manifest {
        name: Name::parse("text-match").unwrap(),
        version: Version::new(0, 1, 0),
        world: "arbiter:mechanism/subnet@0.1.0".into(),
        component: Digests::of(bytes),
        limits: Limits {
            fuel_per_call: 5_000_000_000,
            memory_bytes: 256 << 20,
        },
        source: Some(Source {
            repository: "https://github.com/arbiter-subnets/arbiter".into(),
            commit: "6a3f71d0c0ffee0000000000000000000000beef".into(),
            build_command: "subnets/build.sh text-match".into(),
            artifact: "subnets/target/components/text-match.wasm".into(),
            toolchain: [
                ("rustc", "rustc 1.95.0 (59807616e 2026-04-14)"),
                ("wasm-tools", "1.262.0"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        }),
        publisher: publisher().public(),
    }
}

fn publisher() -> Keypair {
    Keypair::dev("publisher").unwrap()
}

fn golden_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("golden")
        .join(file)
}

fn bless() -> bool {
    std::env::var_os("BLESS").is_some()
}

/// The canonical bytes of the golden manifest are pinned: any change to
/// the encoding breaks every signature ever made, so it must be a new
/// schema version instead. Regenerate with `BLESS=1`.
#[test]
fn golden_canonical_bytes() {
    let signing = golden_manifest().signing_bytes().unwrap();
    let canonical = signing.strip_prefix(SIGNING_DOMAIN).unwrap();
    let path = golden_path("manifest-v1.canonical.json");
    if bless() {
        std::fs::write(&path, canonical).unwrap();
        let signed = SignedManifest::sign(golden_manifest(), &publisher()).unwrap();
        std::fs::write(
            golden_path("manifest-v1.signed.json"),
            signed.to_json().unwrap(),
        )
        .unwrap();
    }
    let expected = std::fs::read(&path).unwrap();
    assert_eq!(
        String::from_utf8_lossy(canonical),
        String::from_utf8_lossy(&expected),
        "the canonical encoding changed (BLESS=1 only if that is intended)"
    );
}

/// The stored signed vector verifies, by the recipe of the module docs
/// (remove `signature`, canonicalise, prefix, verify), and parses back to
/// the golden fields.
#[test]
fn golden_signature_verifies() {
    let bytes = std::fs::read(golden_path("manifest-v1.signed.json")).unwrap();
    let mut value: Value = serde_json::from_slice(&bytes).unwrap();
    let signature: Signature =
        serde_json::from_value(value.as_object_mut().unwrap().remove("signature").unwrap())
            .unwrap();
    let mut message = SIGNING_DOMAIN.to_vec();
    message.extend(canonical::encode(&value).unwrap());
    assert!(publisher().public().verify(&message, &signature));

    let signed = SignedManifest::from_json(&bytes).unwrap();
    assert_eq!(signed.manifest(), &golden_manifest());
    assert_eq!(signed.to_json().unwrap(), bytes, "stored form is canonical");
}

fn signed_value() -> Value {
    let signed = SignedManifest::sign(golden_manifest(), &publisher()).unwrap();
    serde_json::to_value(&signed).unwrap()
}

fn reason(result: Result<SignedManifest>) -> String {
    match result {
        Err(error) => error.to_string(),
        Ok(_) => panic!("accepted"),
    }
}

#[test]
fn a_changed_member_breaks_the_signature() {
    for (member, new) in [
        ("version", json!("0.1.1")),
        ("world", json!("arbiter:mechanism/subnet@0.2.0")),
        (
            "limits",
            json!({"fuel_per_call": 6_000_000_000u64, "memory_bytes": 268435456}),
        ),
        (
            "component",
            serde_json::to_value(Digests::of(b"other bytes")).unwrap(),
        ),
    ] {
        let mut value = signed_value();
        value[member] = new;
        assert!(
            matches!(
                SignedManifest::from_value(value),
                Err(Error::BadSignature { .. })
            ),
            "{member}"
        );
    }
}

#[test]
fn a_flipped_signature_bit_is_refused() {
    let mut value = signed_value();
    let text = value["signature"].as_str().unwrap().to_string();
    let flipped = if text.ends_with('0') { "1" } else { "0" };
    value["signature"] = json!(format!("{}{flipped}", &text[..text.len() - 1]));
    assert!(matches!(
        SignedManifest::from_value(value),
        Err(Error::BadSignature { .. })
    ));
}

/// A manifest naming one publisher but signed by another key.
#[test]
fn a_signature_by_another_key_is_refused() {
    let intruder = Keypair::dev("intruder").unwrap();
    let mut value = signed_value();
    let message = golden_manifest().signing_bytes().unwrap();
    value["signature"] = serde_json::to_value(intruder.sign(&message)).unwrap();
    let error = reason(SignedManifest::from_value(value));
    assert!(error.contains(&publisher().public().to_string()), "{error}");

    // Signed honestly by the intruder: valid, but not who the caller expects.
    let mut theirs = golden_manifest();
    theirs.publisher = intruder.public();
    let signed = SignedManifest::sign(theirs, &intruder).unwrap();
    assert!(matches!(
        signed.check_signer(&publisher().public()),
        Err(Error::UnexpectedSigner { .. })
    ));
    assert!(SignedManifest::sign(golden_manifest(), &intruder).is_err());
}

#[test]
fn schema_unknown_members_and_non_canonical_forms_are_refused() {
    let mut other_schema = signed_value();
    other_schema["schema"] = json!("arbiter.manifest/v2");
    assert!(reason(SignedManifest::from_value(other_schema)).contains("arbiter.manifest/v1"));

    let mut extra = signed_value();
    extra["capabilities"] = json!([]);
    assert!(reason(SignedManifest::from_value(extra)).contains("capabilities"));

    // The publisher as hex instead of its SS58 address: same key, other text.
    let mut hex_key = signed_value();
    hex_key["publisher"] = json!(publisher().public().to_hex());
    assert!(reason(SignedManifest::from_value(hex_key)).contains("publisher"));

    let mut unsigned = signed_value();
    unsigned.as_object_mut().unwrap().remove("signature");
    assert!(reason(SignedManifest::from_value(unsigned)).contains("signature"));
}

#[test]
fn rules_beyond_types_are_checked() {
    type Change = Box<dyn Fn(&mut Manifest)>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "build metadata",
            Box::new(|m| m.version = "1.0.0+x".parse().unwrap()),
        ),
        ("world", Box::new(|m| m.world = "subnet".into())),
        ("sha256", Box::new(|m| m.component.sha256 = "ABC".into())),
        ("fuel_per_call", Box::new(|m| m.limits.fuel_per_call = 0)),
        (
            "memory_bytes",
            Box::new(|m| m.limits.memory_bytes = u64::MAX),
        ),
        (
            "artifact",
            Box::new(|m| source(m).artifact = "../../etc/passwd".into()),
        ),
        (
            "artifact",
            Box::new(|m| source(m).artifact = "/etc/passwd".into()),
        ),
        ("control", Box::new(|m| source(m).commit = "abc\0".into())),
        ("toolchain", Box::new(|m| source(m).toolchain.clear())),
        (
            "toolchain name",
            Box::new(|m| {
                source(m).toolchain.insert("Rust C".into(), "1".into());
            }),
        ),
    ];
    for (what, change) in cases {
        let mut manifest = golden_manifest();
        change(&mut manifest);
        assert!(manifest.validate().is_err(), "{what}");
        assert!(
            SignedManifest::sign(manifest, &publisher()).is_err(),
            "{what}"
        );
    }
}

fn source(manifest: &mut Manifest) -> &mut Source {
    manifest.source.as_mut().unwrap()
}

#[test]
fn a_manifest_without_source_round_trips() {
    let mut manifest = golden_manifest();
    manifest.source = None;
    let signed = SignedManifest::sign(manifest, &publisher()).unwrap();
    let json = signed.to_json().unwrap();
    assert!(String::from_utf8_lossy(&json).contains(r#""source":null"#));
    assert_eq!(SignedManifest::from_json(&json).unwrap(), signed);
}

#[test]
fn relative_paths() {
    assert!(is_relative_path("subnets/target/components/x.wasm"));
    for bad in ["", "/x", "a//b", "a/./b", "a/../b", "..", "a\\b", "a/"] {
        assert!(!is_relative_path(bad), "{bad}");
    }
}
