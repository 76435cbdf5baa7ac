// A controllable clock for driving the Lit SDK deterministically.
//
// The SDK reads the wall clock in exactly the places that end up in signed bytes:
//   - siwe's SiweMessage sets `Issued At` from `new Date()`;
//   - getSessionSigs sets the SessionSig `issuedAt` from `new Date().toISOString()`;
//   - LitNodeClientNodeJs.getExpiration() (when no expiration is passed) uses Date.now().
// There is no parameter for these, so while a fake time is set we swap the global `Date` for a
// subclass whose "now" is ours. Nothing that signs or verifies is touched.

const RealDate = globalThis.Date;
let fakeNow = null; // ms since epoch, or null for the real clock

class FakeDate extends RealDate {
  constructor(...args) {
    if (args.length === 0 && fakeNow !== null) super(fakeNow);
    else super(...args);
  }
  static now() {
    return fakeNow !== null ? fakeNow : RealDate.now();
  }
}

const toMs = (t) => (typeof t === 'number' ? t : RealDate.parse(t));

/** Set the fake clock (ISO string or ms). Installs the fake Date if needed. */
export function setNow(t) {
  const ms = toMs(t);
  if (Number.isNaN(ms)) throw new Error(`clock: bad time ${t}`);
  fakeNow = ms;
  globalThis.Date = FakeDate;
}

/** Back to the real clock. */
export function realClock() {
  fakeNow = null;
  globalThis.Date = RealDate;
}

/**
 * Run `fn` with the clock at `t` (or the real clock when `t` is null/undefined). `fn` may move the
 * clock with setNow(); the real clock is restored afterwards.
 */
export async function withClock(t, fn) {
  if (t === null || t === undefined) return fn();
  setNow(t);
  try {
    return await fn();
  } finally {
    realClock();
  }
}

export { RealDate };
