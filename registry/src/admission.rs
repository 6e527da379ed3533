//! Admission: whether a component may be published, decided by the caller.
//!
//! The checks need wasmtime (is it a component, does it export the
//! mechanism world, are its imports allowed), which lives in the host. The
//! registry must not depend on the host, so the host hands its checks in as
//! an [`Admission`], and the registry runs them on every publish, after the
//! bytes are stored and before the release is recorded. The same goes for
//! epoch transcripts, whose format the host defines: the host computes the
//! root a transcript is filed under, so none can be filed under another's.

use crate::manifest::Limits;

/// The host's verdict on component bytes.
pub trait Admission: Send + Sync {
    /// Admits `bytes` to run under `limits`: what they are, or why not.
    fn admit(&self, bytes: &[u8], limits: &Limits) -> Result<Admitted, String>;

    /// Reads `bytes` as an epoch transcript file: the root its records
    /// chain to, or why they are not a transcript.
    fn transcript_root(&self, bytes: &[u8]) -> Result<[u8; 32], String>;
}

/// What admission found a component to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    /// The world it implements, `namespace:package/world@version`; it must
    /// be the world its manifest names.
    pub world: String,
    /// One line for people: what the component says it is.
    pub summary: String,
}

#[cfg(test)]
pub(crate) mod testing {
    //! An admission without wasmtime, for the registry's own tests.

    use super::*;

    /// The world the test double claims for what it admits.
    pub const WORLD: &str = "arbiter:mechanism/subnet@0.1.0";

    /// Admits bytes that start with `component`, refuses the rest; reads
    /// bytes that start with `transcript` as a transcript whose root is
    /// their BLAKE3.
    pub struct Prefix;

    impl Admission for Prefix {
        fn admit(&self, bytes: &[u8], _: &Limits) -> Result<Admitted, String> {
            if bytes.starts_with(b"component") {
                Ok(Admitted {
                    world: WORLD.into(),
                    summary: "a test component".into(),
                })
            } else {
                Err("not a test component".into())
            }
        }

        fn transcript_root(&self, bytes: &[u8]) -> Result<[u8; 32], String> {
            if bytes.starts_with(b"transcript") {
                Ok(*blake3::hash(bytes).as_bytes())
            } else {
                Err("not a test transcript".into())
            }
        }
    }
}
