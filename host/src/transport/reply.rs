//! What the validator sends and gets back: a [`Query`] per miner, a
//! [`Reply`] per query, and [`responses`], which packs a step's replies
//! into the flat `responses` record the mechanism's `score` takes.

use arbiter_registry::{PublicKey, Signature};

use crate::chain::Axon;
use crate::sandbox::bindings::{Payloads, ReplyStatus, Responses};

/// One query to one miner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The miner's uid.
    pub uid: u16,
    /// The miner's hotkey: the request is addressed to it, and only its
    /// signature makes a reply trusted.
    pub hotkey: PublicKey,
    /// Where it serves (`None`: it never told the chain).
    pub axon: Option<Axon>,
    /// The query payload.
    pub request: Vec<u8>,
}

/// What became of a query; one-to-one with the contract's `reply-status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// A full reply, signed by the queried miner.
    Ok,
    /// No full reply within the timeout.
    Timeout,
    /// No axon, or no connection.
    Unreachable,
    /// A non-2xx HTTP status.
    Refused,
    /// A reply body over the size cap.
    Oversized,
    /// A connection closed mid-body, or not a valid response.
    Malformed,
    /// A missing or invalid signature, or one by another hotkey than the
    /// queried one. The body is kept but must not be trusted.
    BadSignature,
}

impl From<Status> for ReplyStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Ok => ReplyStatus::Ok,
            Status::Timeout => ReplyStatus::Timeout,
            Status::Unreachable => ReplyStatus::Unreachable,
            Status::Refused => ReplyStatus::Refused,
            Status::Oversized => ReplyStatus::Oversized,
            Status::Malformed => ReplyStatus::Malformed,
            Status::BadSignature => ReplyStatus::BadSignature,
        }
    }
}

impl From<ReplyStatus> for Status {
    fn from(status: ReplyStatus) -> Self {
        match status {
            ReplyStatus::Ok => Status::Ok,
            ReplyStatus::Timeout => Status::Timeout,
            ReplyStatus::Unreachable => Status::Unreachable,
            ReplyStatus::Refused => Status::Refused,
            ReplyStatus::Oversized => Status::Oversized,
            ReplyStatus::Malformed => Status::Malformed,
            ReplyStatus::BadSignature => Status::BadSignature,
        }
    }
}

/// The outcome of one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The queried uid.
    pub uid: u16,
    /// What became of the query.
    pub status: Status,
    /// Whole milliseconds from sending the query to the end of the reply
    /// body (the timeout itself for [`Status::Timeout`]; 0 when nothing
    /// was sent).
    pub latency_ms: u32,
    /// The reply body: empty unless the status is [`Status::Ok`] or
    /// [`Status::BadSignature`].
    pub body: Vec<u8>,
    /// The miner's signature header, when it was present and well formed
    /// (valid exactly when the status is [`Status::Ok`]).
    pub signature: Option<Signature>,
}

impl Reply {
    /// A reply with no body and no signature.
    pub fn empty(uid: u16, status: Status, latency_ms: u32) -> Self {
        Self {
            uid,
            status,
            latency_ms,
            body: Vec::new(),
            signature: None,
        }
    }
}

/// A step's replies as the mechanism's `responses`, in the same order.
/// Only `ok` and `bad-signature` replies carry their body, as the contract
/// says.
pub fn responses(replies: &[Reply]) -> Responses {
    let carried = |reply: &Reply| matches!(reply.status, Status::Ok | Status::BadSignature);
    let total: usize = replies
        .iter()
        .filter(|r| carried(r))
        .map(|r| r.body.len())
        .sum();
    let mut data = Vec::with_capacity(total);
    let mut ends = Vec::with_capacity(replies.len());
    for reply in replies {
        if carried(reply) {
            data.extend_from_slice(&reply.body);
        }
        ends.push(u32::try_from(data.len()).unwrap_or(u32::MAX));
    }
    Responses {
        status: replies.iter().map(|r| r.status.into()).collect(),
        latency_ms: replies.iter().map(|r| r.latency_ms).collect(),
        replies: Payloads {
            uids: replies.iter().map(|r| r.uid).collect(),
            ends,
            data,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_one_to_one() {
        let all = [
            Status::Ok,
            Status::Timeout,
            Status::Unreachable,
            Status::Refused,
            Status::Oversized,
            Status::Malformed,
            Status::BadSignature,
        ];
        for status in all {
            assert_eq!(Status::from(ReplyStatus::from(status)), status);
        }
        let mut wire: Vec<ReplyStatus> = all.into_iter().map(ReplyStatus::from).collect();
        wire.dedup();
        assert_eq!(wire.len(), all.len());
    }

    #[test]
    fn only_ok_and_bad_signature_replies_carry_their_body() {
        let reply = |uid, status, body: &[u8]| Reply {
            body: body.to_vec(),
            ..Reply::empty(uid, status, u32::from(uid))
        };
        let packed = responses(&[
            reply(1, Status::Ok, b"42"),
            reply(2, Status::Refused, b"go away"),
            reply(3, Status::BadSignature, b"43"),
        ]);
        assert_eq!(packed.replies.uids, [1, 2, 3]);
        assert_eq!(packed.replies.ends, [2, 2, 4]);
        assert_eq!(packed.replies.data, b"4243");
        assert_eq!(packed.latency_ms, [1, 2, 3]);
        assert_eq!(
            packed.status,
            [
                ReplyStatus::Ok,
                ReplyStatus::Refused,
                ReplyStatus::BadSignature
            ]
        );
    }
}
