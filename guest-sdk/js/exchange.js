// Queries to miners and their replies, as typed per-miner views over the
// contract's flat `payloads` buffers (one byte buffer plus end offsets,
// several times cheaper to pass into WebAssembly than one list per miner).
// `Queries` builds that buffer; `Responses` reads the replies back, each
// paired with the query it answered.

import { InvalidInput } from './errors.js';
import { decodeUtf8, encodeUtf8 } from './utf8.js';

/** The queries of one step, at most one per uid. */
export class Queries {
  #uids = [];
  #ends = [];
  #data = new Uint8Array(256);
  #length = 0;

  /** Adds the bytes `request` (a Uint8Array) for `uid`. The host refuses a
   * batch that names a uid twice or a uid outside the metagraph. */
  push(uid, request) {
    const end = this.#length + request.length;
    if (end > this.#data.length) {
      const bigger = new Uint8Array(Math.max(2 * this.#data.length, end));
      bigger.set(this.#data.subarray(0, this.#length));
      this.#data = bigger;
    }
    this.#data.set(request, this.#length);
    this.#length = end;
    this.#uids.push(uid);
    this.#ends.push(end);
  }

  /** Adds the text `request` (sent as UTF-8) for `uid`. */
  pushStr(uid, request) {
    this.push(uid, encodeUtf8(request));
  }

  /** How many queries there are. */
  get length() {
    return this.#uids.length;
  }

  /** The WIT `payloads` record. */
  toWit() {
    return {
      uids: Uint16Array.from(this.#uids),
      ends: Uint32Array.from(this.#ends),
      data: this.#data.slice(0, this.#length),
    };
  }
}

/** Reply statuses, as the contract's `reply-status` enum names them. */
export const OK = 'ok';
export const TIMEOUT = 'timeout';
export const UNREACHABLE = 'unreachable';
export const REFUSED = 'refused';
export const OVERSIZED = 'oversized';
export const MALFORMED = 'malformed';
export const BAD_SIGNATURE = 'bad-signature';

/** What came back: `status` (one of the constants above) and `payload`
 * (a Uint8Array; empty unless `ok` or `bad-signature`). */
export class Reply {
  constructor(status, payload = new Uint8Array(0)) {
    this.status = status;
    this.payload = payload;
  }

  /** The reply bytes if the miner answered (status `ok`), else null. A
   * `bad-signature` payload is kept for the record, never trusted. */
  bytes() {
    return this.status === OK ? this.payload : null;
  }

  /** The reply as text if the miner answered with valid UTF-8, else null. */
  text() {
    const bytes = this.bytes();
    return bytes === null ? null : decodeUtf8(bytes);
  }
}

/** One miner's reply with the query it answered: `uid`, `query`
 * (Uint8Array), `reply` (a Reply), `latencyMs`. */
export class Response {
  constructor(uid, query, reply, latencyMs) {
    this.uid = uid;
    this.query = query;
    this.reply = reply;
    this.latencyMs = latencyMs;
  }
}

// Payload `i` of a batch that `checkShape` accepted.
function slice(batch, i) {
  return batch.data.subarray(i > 0 ? batch.ends[i - 1] : 0, batch.ends[i]);
}

function checkShape(batch, what) {
  const { uids, ends, data } = batch;
  let monotone = true;
  for (let i = 1; i < ends.length; i++) monotone &&= ends[i - 1] <= ends[i];
  const last = ends.length > 0 ? ends[ends.length - 1] : 0;
  if (ends.length !== uids.length || !monotone || last !== data.length) {
    throw new InvalidInput(`${what} batch is malformed`);
  }
}

function sameUids(a, b) {
  return a.length === b.length && a.every((uid, i) => uid === b[i]);
}

/** A step's replies, in the order of the queries; iterate for `Response`s. */
export class Responses {
  #queries;
  #responses;

  /** Pairs the host's replies (the WIT `responses`) with the queries (WIT
   * `payloads`); throws InvalidInput on inconsistent input, which only a
   * broken host would send. */
  constructor(queries, responses) {
    checkShape(queries, 'queries');
    checkShape(responses.replies, 'replies');
    const n = queries.uids.length;
    if (
      !sameUids(responses.replies.uids, queries.uids) ||
      responses.status.length !== n ||
      responses.latencyMs.length !== n
    ) {
      throw new InvalidInput('responses do not match the queries one to one');
    }
    this.#queries = queries;
    this.#responses = responses;
  }

  /** How many replies there are. */
  get length() {
    return this.#queries.uids.length;
  }

  *[Symbol.iterator]() {
    const q = this.#queries;
    const r = this.#responses;
    for (let i = 0; i < q.uids.length; i++) {
      const status = r.status[i];
      const payload =
        status === OK || status === BAD_SIGNATURE ? slice(r.replies, i) : new Uint8Array(0);
      yield new Response(q.uids[i], slice(q, i), new Reply(status, payload), r.latencyMs[i]);
    }
  }
}
