// The sandbox's own notion of "now". Tokens, refresh-token inactivity and throttling windows are
// measured on it, so tests can jump 90 days ahead without sleeping.

export interface SandboxClock {
  now(): number;
  /** Move the clock forward (or backward with a negative value). */
  advance(ms: number): void;
  /** Offset from the wall clock, in ms. */
  offset(): number;
}

export function createClock(startOffsetMs = 0): SandboxClock {
  let offsetMs = startOffsetMs;
  return {
    now: () => Date.now() + offsetMs,
    advance: (ms: number) => {
      offsetMs += ms;
    },
    offset: () => offsetMs,
  };
}
