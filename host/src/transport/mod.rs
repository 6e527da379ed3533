//! The transport between validators and miners: signed queries over plain
//! HTTP/1.1, bounded in size, time and concurrency.
//!
//! - [`auth`]: the two signed messages and their headers;
//! - [`batch_verify`]: a step's reply signatures checked as one batch;
//! - [`client`]: the validator's [`MinerClient`], which turns every way a
//!   miner can fail into a [`Status`] (never an error of the host);
//! - [`server`]: the miner's side, which checks who is asking before
//!   anything is answered;
//! - [`reply`]: the [`Query`] and [`Reply`] types and their conversion
//!   into the mechanism's `responses`.
//!
//! # The protocol (version 1)
//!
//! **Query.** The validator sends `POST http://<axon ip>:<axon port>/arbiter/v1/query`
//! with the raw query bytes as the body and these headers:
//!
//! | header | value |
//! |---|---|
//! | `x-arbiter-netuid` | the subnet, decimal |
//! | `x-arbiter-validator` | the validator's hotkey, SS58 |
//! | `x-arbiter-miner` | the queried miner's hotkey, SS58 |
//! | `x-arbiter-nonce` | 16 random bytes, 32 lowercase hex digits |
//! | `x-arbiter-timestamp` | milliseconds since the Unix epoch, decimal |
//! | `x-arbiter-signature` | `0x` and 128 hex digits |
//!
//! The signature is the validator's sr25519 signature (the `substrate`
//! signing context, as every Bittensor key signs) over
//! `"arbiter/query/v1\0" ‖ netuid (u16 LE) ‖ validator public key (32) ‖
//! miner public key (32) ‖ nonce (16) ‖ timestamp (u64 LE) ‖ BLAKE3(body) (32)`.
//!
//! **Reply.** A miner that answers sends status 200 with the reply bytes as
//! the body and the headers `x-arbiter-miner` (its hotkey, SS58) and
//! `x-arbiter-signature`: its sr25519 signature over
//! `"arbiter/reply/v1\0" ‖ the request's signature (64) ‖ BLAKE3(reply body) (32)`.
//! Binding the reply to the request signature binds it to everything the
//! request signed: which validator asked which miner what, and when.
//!
//! **Refusals.** A miner refuses, with a short text body: a malformed
//! header (400); a bad signature, a request for another subnet or another
//! hotkey, a timestamp more than 60 s from its clock, or a nonce it has
//! already seen in that window (401); a caller that is not a registered
//! hotkey holding a validator permit on the subnet in its recently
//! refreshed metagraph (403); a body over its size cap (413); a request its
//! solver cannot read (422).
//!
//! **What the validator records** (see [`Status`]): no axon or no
//! connection is `unreachable`; no full reply within the timeout is
//! `timeout`; a non-2xx status is `refused`; a body over the mechanism's
//! `max-response-bytes` is `oversized` (read as a stream and dropped at
//! the cap plus one byte, never buffered whole); a connection closed
//! mid-body or an invalid response is `malformed`; a missing or invalid
//! miner signature, or one by another hotkey than the queried one, is
//! `bad-signature`, and its body is kept for the record but must not be
//! trusted.
//!
//! This is in the spirit of the Bittensor SDK's `btauth/1` (sr25519 over a
//! nonce and the body hash), with both directions signed and the exact
//! bytes specified here so other implementations can interoperate.

pub mod auth;
pub mod batch_verify;
pub mod client;
mod replay;
pub mod reply;
pub mod server;

pub use client::{MinerClient, TransportError};
pub use reply::{Query, Reply, Status, responses};
pub use server::{Answerer, PermittedValidators, Refusal, ServerOptions, VerifiedQuery};
