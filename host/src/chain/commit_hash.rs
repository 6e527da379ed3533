//! The weight-commit hash of commit-reveal, exactly as Subtensor checks it
//! and the Bittensor SDK's `generate_weight_hash` computes it:
//! BLAKE2b-256 over the SCALE encoding of
//! `(hotkey: AccountId32, netuid_index: u16, uids: Vec<u16>, values: Vec<u16>,
//! salt: Vec<u16>, version_key: u64)`, with `netuid_index = mechid · 4096 +
//! netuid`.

use arbiter_registry::PublicKey;
use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use parity_scale_codec::Encode;

/// The storage index of a subnet's mechanism (`mechid · 4096 + netuid`).
pub fn netuid_index(netuid: u16, mechid: u8) -> u16 {
    u16::from(mechid).wrapping_mul(4096).wrapping_add(netuid)
}

/// The commit hash of `uids`/`values` with `salt` by `hotkey`.
pub fn commit_hash(
    hotkey: &PublicKey,
    netuid: u16,
    mechid: u8,
    uids: &[u16],
    values: &[u16],
    salt: &[u16],
    version_key: u64,
) -> [u8; 32] {
    let encoded = (
        hotkey.0,
        netuid_index(netuid, mechid),
        uids,
        values,
        salt,
        version_key,
    )
        .encode();
    Blake2b::<U32>::digest(&encoded).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_layout_is_the_chains() {
        // AccountId32 (32 raw bytes), u16 LE, three compact-length-prefixed
        // Vec<u16>, u64 LE.
        let encoded = (
            [7u8; 32],
            1u16,
            &[0u16, 5][..],
            &[65535u16, 1][..],
            &[9u16][..],
            3u64,
        )
            .encode();
        let mut expected = vec![7u8; 32];
        expected.extend([1, 0]);
        expected.extend([8, 0, 0, 5, 0]);
        expected.extend([8, 0xff, 0xff, 1, 0]);
        expected.extend([4, 9, 0]);
        expected.extend(3u64.to_le_bytes());
        assert_eq!(encoded, expected);
    }

    #[test]
    fn hash_is_pinned() -> Result<(), arbiter_registry::KeyError> {
        // Alice, netuid 1, uids [0, 5], values [65535, 1], salt 1..=8,
        // version key 7; the expected value is hashlib.blake2b(digest_size=32)
        // over the same SCALE bytes, computed independently in Python.
        let alice: PublicKey =
            "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d".parse()?;
        let hash = commit_hash(
            &alice,
            1,
            0,
            &[0, 5],
            &[65535, 1],
            &[1, 2, 3, 4, 5, 6, 7, 8],
            7,
        );
        assert_eq!(
            hex::encode(hash),
            "d0b07165947f7a42e813e47240ffe7d7000f15acfcaa67448f9682a3c39b26e4"
        );
        Ok(())
    }

    #[test]
    fn mechanisms_hash_under_their_own_index() {
        let key = PublicKey([1; 32]);
        let a = commit_hash(&key, 1, 0, &[0], &[1], &[2], 0);
        let b = commit_hash(&key, 1, 1, &[0], &[1], &[2], 0);
        assert_ne!(a, b);
        assert_eq!(netuid_index(1, 1), 4097);
    }
}
