// Arbiter's JavaScript guest SDK: write an incentive mechanism in
// JavaScript and build it into a WebAssembly component with componentize-js
// (subnets/build-js.sh). One import for a mechanism:
//
//   import { Info, Queries, exportMechanism, codec, numeric, text } from '../../guest-sdk/js/index.js';
//
// The helpers (rng, numeric, text, codec, utf8) follow guest-sdk/ALGORITHMS.md
// bit for bit and run natively too (`node --test guest-sdk/js/tests/`); this
// index also loads the WIT glue, so it loads only inside the component.

export * as codec from './codec.js';
export * as numeric from './numeric.js';
export * as text from './text.js';
export * as utf8 from './utf8.js';
export * as log from './log.js';
export { Rng } from './rng.js';
export { Context } from './context.js';
export { InvalidConfig, InvalidInput, InvalidState, MechanismError } from './errors.js';
export {
  BAD_SIGNATURE,
  MALFORMED,
  OK,
  OVERSIZED,
  Queries,
  REFUSED,
  Reply,
  Response,
  Responses,
  TIMEOUT,
  UNREACHABLE,
} from './exchange.js';
export { Info, Weight, exportMechanism } from './mechanism.js';
