// The step's context, as the host passes it (the WIT `context` record):
// which subnet, block and epoch, the seed every random choice must come
// from, and the metagraph.

import { Rng } from './rng.js';

/**
 * Everything a call may depend on besides its explicit arguments:
 * `netuid`, `mechid`, `epoch` (BigInt), `step`, `block` (BigInt),
 * `blockTimeMs` (BigInt), `blockHash` and `seed` (32-byte Uint8Arrays),
 * `validatorUid`, `neurons` (in ascending uid order, each with `uid`,
 * `stake` (BigInt, rao), `validatorPermit`, `active`, `replaced`) and
 * `hotkeys` (32 bytes per neuron, in the order of `neurons`).
 */
export class Context {
  constructor(raw) {
    this.netuid = raw.netuid;
    this.mechid = raw.mechid;
    this.epoch = raw.epoch;
    this.step = raw.step;
    this.block = raw.block;
    this.blockTimeMs = raw.blockTimeMs;
    this.blockHash = raw.blockHash;
    // As in Rust: the host always sends 32 bytes; anything else is zeros.
    this.seed = raw.seed.length >= 32 ? raw.seed.slice(0, 32) : new Uint8Array(32);
    this.validatorUid = raw.validatorUid;
    this.neurons = raw.neurons;
    this.hotkeys = raw.hotkeys;
  }

  /** A fresh random stream from the step's seed (the same one on every
   * call: draw everything a call needs from one). */
  rng() {
    return new Rng(this.seed);
  }

  /** One more than the largest uid (0 for an empty metagraph): the length
   * a per-uid table needs. */
  uidCount() {
    let count = 0;
    for (const n of this.neurons) count = Math.max(count, n.uid + 1);
    return count;
  }

  /** The 32-byte hotkey of `neurons[index]`, or null. */
  hotkey(index) {
    if (!Number.isInteger(index) || index < 0 || 32 * index + 32 > this.hotkeys.length) return null;
    return this.hotkeys.slice(32 * index, 32 * index + 32);
  }
}
