// A deliberately misbehaving JavaScript mechanism, for the sandbox's tests
// (the JavaScript sibling of `subnets/hostile` and the Python `hostile-py`,
// built as `hostile-js`). Not an example to follow. `init` takes the
// behaviour's name as its configuration and keeps it as the state; `score`
// acts it out:
//
// - `raise`: throws an Error (a bug, not a verdict: the call traps, and the
//   SDK logs "Error: raised on purpose" with the stack first);
// - `loop`: loops forever (the call runs out of fuel);
// - `fetch:<port>`: fetches http://127.0.0.1:<port>/ (the component has no
//   HTTP capability: the call traps, and nothing reaches the port);
// - `error`: throws InvalidInput (a verdict: `invalid-input: hostile-js
//   error on purpose`);
// - anything else: returns the state unchanged.

import { Info, InvalidInput, Queries, codec, exportMechanism } from '../../index.js';

const hostile = {
  stateSchema: codec.STR,

  describe() {
    return new Info('hostile-js', '0.1.0');
  },

  init(config) {
    return new TextDecoder().decode(config);
  },

  challenge() {
    return new Queries();
  },

  async score(ctx, state) {
    if (state === 'raise') throw new Error('raised on purpose');
    if (state === 'loop') {
      for (;;) {
        // spin
      }
    }
    if (state.startsWith('fetch:')) {
      await fetch(`http://127.0.0.1:${state.slice(6)}/`);
      return 'connected';
    }
    if (state === 'error') throw new InvalidInput('hostile-js error on purpose');
    return state;
  },

  weights() {
    return [];
  },
};

export const mechanism = exportMechanism(hostile);
