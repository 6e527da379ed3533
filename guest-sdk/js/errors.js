// The mechanism's own failures: deterministic verdicts that the host
// records, keeping the previous state (the WIT `mechanism-error`).
//
// componentize-js turns a thrown value with an own `payload` property into
// the export's `err(payload)`; any other thrown Error traps the call (a bug,
// like a Rust panic). Each class here carries the payload of its variant.

/** A failure the mechanism reports itself (throw a subclass). */
export class MechanismError extends Error {
  constructor(tag, message) {
    super(message);
    this.payload = { tag, val: message };
  }
}

/** The configuration given to `init` is not acceptable. */
export class InvalidConfig extends MechanismError {
  constructor(message) {
    super('invalid-config', message);
  }
}

/** The state cannot be decoded. */
export class InvalidState extends MechanismError {
  constructor(message) {
    super('invalid-state', message);
  }
}

/** The other arguments are inconsistent. */
export class InvalidInput extends MechanismError {
  constructor(message) {
    super('invalid-input', message);
  }
}
