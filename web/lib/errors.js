// @ts-check
/**
 * One error type for the whole library, with a stable snake_case `code`, so that an app can
 * show the reason in words and branch on the code (the same codes as the Rust client and the
 * node where the meaning is the same).
 * @module
 */

/** An error with a stable code; `message` never holds key material. */
export class SessionSigError extends Error {
  /**
   * @param {string} code stable snake_case code (e.g. `wallet_rejected`, `grant_mismatch`)
   * @param {string} message what happened, in words
   * @param {{status?: number}} [extra] the HTTP status when the node refused
   */
  constructor(code, message, extra = {}) {
    super(message);
    this.name = 'SessionSigError';
    /** @type {string} */
    this.code = code;
    /** @type {number | undefined} */
    this.status = extra.status;
  }
}
