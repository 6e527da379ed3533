//! Tests of the codec: layouts, golden bytes, errors, hostile input, and
//! property tests (round trips; every input that decodes is canonical).

use std::collections::BTreeMap;

use super::*;
use crate::numeric::CANONICAL_NAN;
use crate::rng::Rng;

#[derive(Debug, PartialEq)]
struct Example {
    round: u64,
    scores: Vec<f64>,
    name: String,
    seen: BTreeMap<u16, bool>,
    last: Option<i32>,
}
crate::impl_codec!(Example {
    round,
    scores,
    name,
    seen,
    last
});

fn example() -> Example {
    Example {
        round: 7,
        scores: vec![0.5, -f64::NAN],
        name: "héllo".to_owned(),
        seen: BTreeMap::from([(3, true), (1, false)]),
        last: Some(-2),
    }
}

const EXAMPLE_HEX: &str = "0700000000000000\
                           02000000000000000000e03f000000000000f87f\
                           0600000068c3a96c6c6f\
                           02000000010000030001\
                           01feffffff";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn golden_example() -> Result<(), CodecError> {
    let bytes = to_bytes(&example())?;
    assert_eq!(hex(&bytes), EXAMPLE_HEX);
    let decoded: Example = from_bytes(&bytes)?;
    assert_eq!(decoded.scores[1].to_bits(), CANONICAL_NAN.to_bits());
    assert_eq!(to_bytes(&decoded)?, bytes);
    assert_eq!(Example::MIN_ENCODED_LEN, 8 + 4 + 4 + 4 + 1);
    Ok(())
}

#[test]
fn primitive_layouts() -> Result<(), CodecError> {
    assert_eq!(to_bytes(&0x0102u16)?, [2, 1]);
    assert_eq!(to_bytes(&-1i32)?, [0xff; 4]);
    assert_eq!(to_bytes(&i64::MIN)?, [0, 0, 0, 0, 0, 0, 0, 0x80]);
    assert_eq!(to_bytes(&u64::MAX)?, [0xff; 8]);
    assert_eq!(to_bytes(&-0.0f64)?, [0, 0, 0, 0, 0, 0, 0, 0x80]);
    assert_eq!(to_bytes(&f64::INFINITY)?, [0, 0, 0, 0, 0, 0, 0xf0, 0x7f]);
    assert_eq!(
        to_bytes(&f64::from_bits(0xfff8_0000_0000_0001))?,
        [0, 0, 0, 0, 0, 0, 0xf8, 0x7f]
    );
    assert_eq!(to_bytes(&(false, true))?, [0, 1]);
    assert_eq!(to_bytes(&None::<u64>)?, [0]);
    assert_eq!(to_bytes(&[7u8, 8, 9])?, [7, 8, 9]);
    assert_eq!(to_bytes(&[[1u16; 2]; 2])?, [1, 0, 1, 0, 1, 0, 1, 0]);
    assert_eq!(to_bytes(&Vec::<String>::new())?, [0, 0, 0, 0]);
    assert_eq!(to_bytes(&vec![String::new()])?, [1, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        to_bytes(&(1u8, 2u16, 3u32, 4u64, 5i32, 6i64))?.len(),
        1 + 2 + 4 + 8 + 4 + 8
    );
    Ok(())
}

#[test]
fn byte_vectors_use_the_generic_layout() -> Result<(), CodecError> {
    let bytes: Vec<u8> = (0..=255).collect();
    let mut generic = Encoder::new();
    generic.write_len(bytes.len());
    for b in &bytes {
        b.encode(&mut generic);
    }
    let encoded = to_bytes(&bytes)?;
    assert_eq!(encoded, generic.finish()?);
    assert_eq!(from_bytes::<Vec<u8>>(&encoded)?, bytes);
    assert_eq!(from_bytes::<[u8; 4]>(&[1, 2, 3, 4])?, [1, 2, 3, 4]);
    Ok(())
}

#[test]
fn decode_errors_name_offset_and_expectation() {
    let check = |result: Result<(), CodecError>, offset, expected| {
        assert_eq!(result, Err(CodecError::new(offset, expected)));
    };
    check(from_bytes::<u32>(&[1, 2, 3]).map(drop), 0, "u32");
    check(from_bytes::<bool>(&[2]).map(drop), 0, "bool (0 or 1)");
    check(
        from_bytes::<(u8, bool)>(&[0, 0xff]).map(drop),
        1,
        "bool (0 or 1)",
    );
    check(
        from_bytes::<Option<u8>>(&[2, 0]).map(drop),
        0,
        "option tag (0 or 1)",
    );
    check(from_bytes::<u8>(&[1, 2]).map(drop), 1, "end of input");
    check(
        from_bytes::<String>(&[3, 0, 0, 0, b'a', 0xff, b'b']).map(drop),
        5,
        "valid UTF-8",
    );
    check(
        from_bytes::<String>(&[1, 0, 0, 0, 0xc3]).map(drop),
        4,
        "valid UTF-8",
    );
    check(
        from_bytes::<String>(&[2, 0, 0, 0, b'a']).map(drop),
        0,
        "a length the remaining input can hold",
    );
    check(
        from_bytes::<f64>(&0xfff8_0000_0000_0000u64.to_le_bytes()).map(drop),
        0,
        "f64 whose only NaN is 0x7ff8000000000000",
    );
    check(
        from_bytes::<f64>(&0x7ff0_0000_0000_0001u64.to_le_bytes()).map(drop),
        0,
        "f64 whose only NaN is 0x7ff8000000000000",
    );
    // Keys 2 then 1, and 1 then 1.
    check(
        from_bytes::<BTreeMap<u8, u8>>(&[2, 0, 0, 0, 2, 0, 1, 0]).map(drop),
        6,
        "a map key greater than the previous key",
    );
    check(
        from_bytes::<BTreeMap<u8, u8>>(&[2, 0, 0, 0, 1, 0, 1, 0]).map(drop),
        6,
        "a map key greater than the previous key",
    );
    check(from_bytes::<Vec<u8>>(&[]).map(drop), 0, "u32 length");
}

#[test]
fn hostile_length_prefixes_fail_fast() {
    let mut bytes = vec![0xff, 0xff, 0xff, 0xff];
    bytes.extend_from_slice(&[1; 10]);
    let prefix_error = Err(CodecError::new(0, "a length the remaining input can hold"));
    assert_eq!(from_bytes::<Vec<u8>>(&bytes).map(drop), prefix_error);
    assert_eq!(from_bytes::<String>(&bytes).map(drop), prefix_error);
    assert_eq!(from_bytes::<Vec<u64>>(&bytes).map(drop), prefix_error);
    assert_eq!(from_bytes::<Vec<Vec<u8>>>(&bytes).map(drop), prefix_error);
    assert_eq!(from_bytes::<Vec<Example>>(&bytes).map(drop), prefix_error);
    assert_eq!(
        from_bytes::<BTreeMap<u32, String>>(&bytes).map(drop),
        prefix_error
    );
    // An inner hostile length, after a plausible outer one.
    let inner = [1, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0];
    assert_eq!(
        from_bytes::<Vec<Vec<u16>>>(&inner).map(drop),
        Err(CodecError::new(4, "a length the remaining input can hold"))
    );
    // Types of unknown minimum size reserve nothing and stop where the input ends.
    assert!(from_bytes::<Vec<[u8; 0]>>(&[0, 0, 0, 0]).is_ok());
    assert!(from_bytes::<Vec<Option<u8>>>(&bytes).is_err());
    // A huge fixed-size array reserves only what the input can hold.
    assert_eq!(
        from_bytes::<[u64; 1 << 14]>(&[0; 10]).map(drop),
        Err(CodecError::new(8, "u64"))
    );
    assert_eq!(
        from_bytes::<[u8; 1 << 14]>(&[0; 10]).map(drop),
        Err(CodecError::new(0, "bytes"))
    );
}

#[cfg(target_pointer_width = "64")]
#[test]
fn lengths_beyond_u32_are_an_encode_error() {
    let mut out = Encoder::new();
    out.write_bytes(&[9]);
    out.write_len(1 << 32);
    out.write_len(1);
    assert_eq!(
        out.finish(),
        Err(CodecError::new(
            1,
            "a sequence of at most 4294967295 elements"
        ))
    );
}

#[test]
fn macro_sums_field_minimums() {
    #[derive(Debug, PartialEq)]
    struct Pair {
        left: (u8, [i64; 2]),
        right: Option<String>,
    }
    crate::impl_codec!(Pair { left, right });
    assert_eq!(Pair::MIN_ENCODED_LEN, 1 + 16 + 1);
    assert_eq!(<(u8, u16)>::MIN_ENCODED_LEN, 3);
    assert_eq!(<[u64; 3]>::MIN_ENCODED_LEN, 24);
    assert_eq!(<[Vec<u8>; 2]>::MIN_ENCODED_LEN, 8);
}

/// Every type the codec covers, for the property tests.
#[derive(Debug, PartialEq)]
struct Everything {
    small: u8,
    medium: u16,
    word: u32,
    wide: u64,
    signed: i32,
    wide_signed: i64,
    real: f64,
    flag: bool,
    name: String,
    blob: Vec<u8>,
    maybe: Option<Vec<i64>>,
    table: BTreeMap<u32, String>,
    fixed: [u16; 3],
    pair: (u8, bool),
    nested: Vec<(String, Option<f64>)>,
}
crate::impl_codec!(Everything {
    small,
    medium,
    word,
    wide,
    signed,
    wide_signed,
    real,
    flag,
    name,
    blob,
    maybe,
    table,
    fixed,
    pair,
    nested
});

fn random_f64(rng: &mut Rng) -> f64 {
    match rng.below(4) {
        0 => f64::from_bits(rng.next_u64()),
        1 => [0.0, -0.0, f64::INFINITY, -f64::INFINITY, f64::NAN, 5e-324][rng.below(6) as usize],
        _ => rng.next_f64() * 100.0 - 50.0,
    }
}

fn random_string(rng: &mut Rng) -> String {
    let pieces = ["", "a", "Z", "é", "日本", "🙂", "\0", " "];
    (0..rng.below(5))
        .filter_map(|_| rng.choose(&pieces).copied())
        .collect()
}

fn random_bytes(rng: &mut Rng, max: u64) -> Vec<u8> {
    (0..rng.below(max)).map(|_| rng.next_u64() as u8).collect()
}

fn random_everything(rng: &mut Rng) -> Everything {
    let maybe =
        (rng.below(2) == 1).then(|| (0..rng.below(4)).map(|_| rng.next_u64() as i64).collect());
    let table = (0..rng.below(4))
        .map(|_| (rng.below(8) as u32, random_string(rng)))
        .collect();
    let nested = (0..rng.below(3))
        .map(|_| {
            (
                random_string(rng),
                (rng.below(2) == 1).then(|| random_f64(rng)),
            )
        })
        .collect();
    Everything {
        small: rng.next_u64() as u8,
        medium: rng.next_u64() as u16,
        word: rng.next_u64() as u32,
        wide: rng.next_u64(),
        signed: rng.next_u64() as i32,
        wide_signed: rng.next_u64() as i64,
        real: random_f64(rng),
        flag: rng.below(2) == 1,
        name: random_string(rng),
        blob: random_bytes(rng, 6),
        maybe,
        table,
        fixed: [rng.next_u64() as u16, 0, u16::MAX],
        pair: (rng.next_u64() as u8, rng.below(2) == 0),
        nested,
    }
}

#[test]
fn round_trips_are_exact() -> Result<(), CodecError> {
    let mut rng = Rng::from_seed(&[11; 32]);
    for _ in 0..2_000 {
        let value = random_everything(&mut rng);
        let bytes = to_bytes(&value)?;
        let decoded: Everything = from_bytes(&bytes)?;
        // Debug text tells every f64 apart except NaN payloads, which
        // encoding canonicalises.
        assert_eq!(format!("{decoded:?}"), format!("{value:?}"));
        assert_eq!(to_bytes(&decoded)?, bytes);
        assert!(bytes.len() >= Everything::MIN_ENCODED_LEN);
    }
    Ok(())
}

/// `encode(decode(b)) == b` for every `b` that decodes as a `T`.
fn assert_canonical<T: Codec>(bytes: &[u8]) -> usize {
    match from_bytes::<T>(bytes) {
        Ok(value) => {
            assert_eq!(
                to_bytes(&value).ok().as_deref(),
                Some(bytes),
                "{bytes:02x?}"
            );
            1
        }
        Err(error) => {
            assert!(error.offset() <= bytes.len());
            0
        }
    }
}

#[test]
fn everything_that_decodes_is_canonical() -> Result<(), CodecError> {
    let mut rng = Rng::from_seed(&[12; 32]);
    let mut decoded = 0;
    for _ in 0..3_000 {
        // Mutations of valid encodings: flip, drop, insert or append a byte.
        let mut bytes = to_bytes(&random_everything(&mut rng))?;
        let at = rng.below(bytes.len() as u64 + 1) as usize;
        match rng.below(4) {
            0 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
            1 if at < bytes.len() => {
                bytes.remove(at);
            }
            2 => bytes.insert(at, rng.next_u64() as u8),
            _ => bytes.push(rng.next_u64() as u8),
        }
        decoded += assert_canonical::<Everything>(&bytes);
        // Short runs of small bytes against small types, which often decode.
        let raw: Vec<u8> = (0..rng.below(10)).map(|_| rng.below(3) as u8).collect();
        decoded += assert_canonical::<Vec<u8>>(&raw);
        decoded += assert_canonical::<Option<bool>>(&raw);
        decoded += assert_canonical::<BTreeMap<u8, bool>>(&raw);
        decoded += assert_canonical::<(u8, String)>(&raw);
        decoded += assert_canonical::<f64>(&raw);
        decoded += assert_canonical::<(bool, Option<u8>, u8)>(&raw);
    }
    assert!(
        decoded > 1_000,
        "only {decoded} inputs decoded: the test is not exercising much"
    );
    Ok(())
}

#[test]
fn every_nan_but_one_is_rejected() {
    for bits in [
        0x7ff8_0000_0000_0001,
        0x7ff0_0000_0000_0001,
        0xfff8_0000_0000_0000,
        u64::MAX,
    ] {
        assert!(
            from_bytes::<f64>(&u64::to_le_bytes(bits)).is_err(),
            "{bits:#x}"
        );
    }
    assert_eq!(
        from_bytes::<f64>(&u64::to_le_bytes(0x7ff8_0000_0000_0000)).map(f64::to_bits),
        Ok(0x7ff8_0000_0000_0000)
    );
}

#[test]
fn random_garbage_never_panics() {
    let mut rng = Rng::from_seed(&[13; 32]);
    for _ in 0..20_000 {
        let bytes = random_bytes(&mut rng, 80);
        let _ = from_bytes::<Everything>(&bytes);
        let _ = from_bytes::<Vec<Example>>(&bytes);
        let _ = from_bytes::<BTreeMap<String, Vec<Option<f64>>>>(&bytes);
    }
}
