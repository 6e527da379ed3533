// Diagnostics for the operator, through the contract's `log` import.
// Messages go to the host's log and the transcript; nothing comes back, so
// logging cannot change a result. (`console` goes nowhere: the component is
// built without stdio.)
//
// This is the one SDK module that imports from the component's world, so it
// (and `mechanism.js`, `index.js`) loads only inside the component.

import { log as witLog } from 'arbiter:mechanism/log@0.1.0';

/** Records `message` at `level`: 'debug', 'info', 'warn' or 'error'. */
export function log(level, message) {
  witLog(level, String(message));
}

export const debug = (message) => log('debug', message);
export const info = (message) => log('info', message);
export const warn = (message) => log('warn', message);
export const error = (message) => log('error', message);
