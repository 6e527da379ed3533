//! Queries to miners and their replies, as typed per-miner views over the
//! contract's flat buffers.
//!
//! On the wire, a step's payloads travel as one byte buffer with end
//! offsets, because that is several times cheaper to pass into WebAssembly
//! than one list per miner. [`Queries`] builds that buffer; [`Responses`]
//! reads the replies back paired with the query each answered.

use crate::Error;
use crate::wit::arbiter::mechanism::types as wit;

/// The queries of one step: at most one payload per uid.
///
/// ```
/// let mut queries = arbiter_sdk::Queries::new();
/// queries.push(3, b"what is 2 + 2?");
/// queries.push_str(7, "name a prime");
/// assert_eq!(queries.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Queries {
    uids: Vec<u16>,
    ends: Vec<u32>,
    data: Vec<u8>,
}

impl Queries {
    /// No queries.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a query for `uid`. The host refuses a batch that names a uid
    /// twice or a uid outside the metagraph.
    pub fn push(&mut self, uid: u16, request: &[u8]) {
        self.uids.push(uid);
        self.data.extend_from_slice(request);
        self.ends.push(self.data.len() as u32);
    }

    /// Adds a text query for `uid`.
    pub fn push_str(&mut self, uid: u16, request: &str) {
        self.push(uid, request.as_bytes());
    }

    /// How many queries there are.
    pub fn len(&self) -> usize {
        self.uids.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.uids.is_empty()
    }

    pub(crate) fn into_wit(self) -> wit::Payloads {
        wit::Payloads {
            uids: self.uids,
            ends: self.ends,
            data: self.data,
        }
    }
}

/// What became of one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply<'a> {
    /// The miner answered with these bytes.
    Ok(&'a [u8]),
    /// No answer within the mechanism's query timeout.
    Timeout,
    /// The miner could not be reached or closed the connection.
    Unreachable,
    /// The miner refused the request.
    Refused,
    /// The reply was longer than the mechanism's `max_response_bytes`.
    Oversized,
    /// The reply was not a well-formed transport response.
    Malformed,
    /// The reply had no valid signature from the miner's hotkey: these
    /// bytes are kept for the record but must not be trusted.
    BadSignature(&'a [u8]),
}

impl<'a> Reply<'a> {
    /// The reply's bytes, if the miner answered and signed them.
    pub fn bytes(&self) -> Option<&'a [u8]> {
        match self {
            Reply::Ok(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// The reply as UTF-8 text, if the miner answered with valid UTF-8.
    pub fn text(&self) -> Option<&'a str> {
        self.bytes().and_then(|b| std::str::from_utf8(b).ok())
    }
}

/// One miner's reply, with the query it answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response<'a> {
    /// The miner's uid.
    pub uid: u16,
    /// The query sent to it.
    pub query: &'a [u8],
    /// What came back.
    pub reply: Reply<'a>,
    /// Milliseconds from sending the query to the end of the reply.
    pub latency_ms: u32,
}

/// A step's replies, in the order of the queries.
#[derive(Debug, Clone)]
pub struct Responses {
    queries: wit::Payloads,
    responses: wit::Responses,
}

impl Responses {
    /// Pairs the host's replies with the queries; refuses inconsistent
    /// input (which only a broken host would send) instead of panicking.
    pub(crate) fn from_wit(
        queries: wit::Payloads,
        responses: wit::Responses,
    ) -> Result<Self, Error> {
        check_shape(&queries, "queries")?;
        check_shape(&responses.replies, "replies")?;
        let n = queries.uids.len();
        if responses.replies.uids != queries.uids
            || responses.status.len() != n
            || responses.latency_ms.len() != n
        {
            return Err(Error::InvalidInput(
                "responses do not match the queries one to one".into(),
            ));
        }
        Ok(Self { queries, responses })
    }

    /// Builds responses for native tests of a mechanism from
    /// `(uid, query, reply, latency_ms)` tuples.
    pub fn for_tests<'a>(items: impl IntoIterator<Item = (u16, &'a [u8], Reply<'a>, u32)>) -> Self {
        let mut queries = Queries::new();
        let mut replies = Queries::new();
        let mut status = Vec::new();
        let mut latency_ms = Vec::new();
        for (uid, query, reply, latency) in items {
            queries.push(uid, query);
            let (code, bytes): (wit::ReplyStatus, &[u8]) = match reply {
                Reply::Ok(b) => (wit::ReplyStatus::Ok, b),
                Reply::Timeout => (wit::ReplyStatus::Timeout, b""),
                Reply::Unreachable => (wit::ReplyStatus::Unreachable, b""),
                Reply::Refused => (wit::ReplyStatus::Refused, b""),
                Reply::Oversized => (wit::ReplyStatus::Oversized, b""),
                Reply::Malformed => (wit::ReplyStatus::Malformed, b""),
                Reply::BadSignature(b) => (wit::ReplyStatus::BadSignature, b),
            };
            replies.push(uid, bytes);
            status.push(code);
            latency_ms.push(latency);
        }
        Self {
            queries: queries.into_wit(),
            responses: wit::Responses {
                status,
                latency_ms,
                replies: replies.into_wit(),
            },
        }
    }

    /// How many replies there are.
    pub fn len(&self) -> usize {
        self.queries.uids.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.queries.uids.is_empty()
    }

    /// The replies, each with its query.
    pub fn iter(&self) -> impl Iterator<Item = Response<'_>> {
        let replies = &self.responses.replies;
        (0..self.len()).map(move |i| {
            let bytes = slice(replies, i);
            let reply = match self.responses.status[i] {
                wit::ReplyStatus::Ok => Reply::Ok(bytes),
                wit::ReplyStatus::Timeout => Reply::Timeout,
                wit::ReplyStatus::Unreachable => Reply::Unreachable,
                wit::ReplyStatus::Refused => Reply::Refused,
                wit::ReplyStatus::Oversized => Reply::Oversized,
                wit::ReplyStatus::Malformed => Reply::Malformed,
                wit::ReplyStatus::BadSignature => Reply::BadSignature(bytes),
            };
            Response {
                uid: self.queries.uids[i],
                query: slice(&self.queries, i),
                reply,
                latency_ms: self.responses.latency_ms[i],
            }
        })
    }
}

/// Payload `i` of a batch that [`check_shape`] accepted.
fn slice(batch: &wit::Payloads, i: usize) -> &[u8] {
    let start = if i == 0 { 0 } else { batch.ends[i - 1] };
    &batch.data[start as usize..batch.ends[i] as usize]
}

fn check_shape(batch: &wit::Payloads, what: &str) -> Result<(), Error> {
    let monotone = batch.ends.windows(2).all(|w| w[0] <= w[1]);
    let last = batch.ends.last().map_or(0, |&end| end as usize);
    if batch.ends.len() != batch.uids.len() || !monotone || last != batch.data.len() {
        return Err(Error::InvalidInput(format!("{what} batch is malformed")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_pair_replies_with_queries() {
        let responses = Responses::for_tests([
            (1, &b"q1"[..], Reply::Ok(b"a1"), 5),
            (4, b"q4", Reply::Timeout, 100),
            (2, b"", Reply::BadSignature(b"forged"), 7),
        ]);
        let all: Vec<_> = responses.iter().collect();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].query, b"q1");
        assert_eq!(all[0].reply.text(), Some("a1"));
        assert_eq!(all[1].reply, Reply::Timeout);
        assert_eq!(all[2].reply.bytes(), None);
        assert_eq!(all[2].uid, 2);
    }

    #[test]
    fn inconsistent_host_input_is_an_error_not_a_panic() {
        let mut queries = Queries::new();
        queries.push(1, b"abc");
        let mut wire = queries.clone().into_wit();
        wire.ends = vec![9];
        let replies = wit::Responses {
            status: vec![wit::ReplyStatus::Ok],
            latency_ms: vec![0],
            replies: queries.clone().into_wit(),
        };
        assert!(Responses::from_wit(wire, replies.clone()).is_err());
        let mut other = queries.clone();
        other.push(2, b"");
        assert!(Responses::from_wit(other.into_wit(), replies).is_err());
    }
}
