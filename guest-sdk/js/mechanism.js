// The typed mechanism API and the glue to the WIT contract.
//
// A mechanism is an object with a state schema and five methods (see the
// README):
//
//   const myMechanism = {
//     stateSchema: codec.Struct(...),
//     describe()                      -> Info
//     init(config: Uint8Array)        -> state
//     challenge(ctx: Context, state)  -> Queries
//     score(ctx, state, responses: Responses) -> new state
//     weights(ctx, state)             -> Weight[]
//   };
//   export const mechanism = exportMechanism(myMechanism);
//
// `exportMechanism` decodes and encodes the state with the schema, presents
// the flat wire buffers as per-miner views, and lets InvalidConfig,
// InvalidState and InvalidInput through as the contract's
// `mechanism-error` (a codec failure becomes `invalid-state`): deterministic
// verdicts, the previous state is kept. Any other exception is a bug: its
// stack goes to the log and the call traps, like a Rust panic. Methods may
// be async (the glue awaits them).

import * as codec from './codec.js';
import { Context } from './context.js';
import { InvalidState, MechanismError } from './errors.js';
import { Responses } from './exchange.js';
import { error as logError } from './log.js';

/** Static facts about a mechanism; the defaults are the Rust SDK's
 * `Info::new` (12 s timeout, 64 KiB replies, 4 steps per epoch). */
export class Info {
  constructor(
    name,
    version,
    { queryTimeoutMs = 12_000, maxResponseBytes = 64 << 10, stepsPerEpoch = 4 } = {},
  ) {
    this.name = name;
    this.version = version;
    this.queryTimeoutMs = queryTimeoutMs;
    this.maxResponseBytes = maxResponseBytes;
    this.stepsPerEpoch = stepsPerEpoch;
  }
}

/** One weight: `uid` and a finite, non-negative `value`. */
export class Weight {
  constructor(uid, value) {
    this.uid = uid;
    this.value = value;
  }
}

// Runs `body`, letting mechanism errors through, turning codec errors into
// `invalid-state` and logging anything else before it traps the call.
async function guarded(body) {
  try {
    return await body();
  } catch (e) {
    if (e instanceof MechanismError) throw e;
    if (e instanceof codec.CodecError) throw new InvalidState(e.message);
    try {
      logError(e instanceof Error ? `${e}\n${e.stack}` : `uncaught: ${String(e)}`);
    } catch {
      // The trap below matters more than the log.
    }
    throw e instanceof Error ? e : new Error(String(e));
  }
}

/** The `mechanism` export for componentize-js: assign it to `export const
 * mechanism` in the app module. */
export function exportMechanism(impl) {
  const schema = impl.stateSchema;
  const load = (state) => codec.decode(schema, state);
  const store = (state) => codec.encode(schema, state);
  return {
    describe() {
      return guarded(async () => {
        const info = await impl.describe();
        return {
          name: info.name,
          version: info.version,
          queryTimeoutMs: info.queryTimeoutMs,
          maxResponseBytes: info.maxResponseBytes,
          stepsPerEpoch: info.stepsPerEpoch,
        };
      });
    },
    init(config) {
      return guarded(async () => store(await impl.init(config)));
    },
    challenge(ctx, state) {
      return guarded(async () => {
        const queries = await impl.challenge(new Context(ctx), load(state));
        return queries.toWit();
      });
    },
    score(ctx, state, queries, responses) {
      return guarded(async () => {
        const decoded = load(state);
        const replies = new Responses(queries, responses);
        return store(await impl.score(new Context(ctx), decoded, replies));
      });
    },
    weights(ctx, state) {
      return guarded(async () => {
        const weights = await impl.weights(new Context(ctx), load(state));
        return weights.map((w) => ({ uid: w.uid, value: w.value }));
      });
    },
  };
}
