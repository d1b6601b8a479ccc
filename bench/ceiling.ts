// What the sandbox's limits allow for a backfill, with and without its injected faults.

export interface Limits {
  /** Requests in service at once per mailbox (Exchange's MailboxConcurrency: 4). */
  concurrency: number;
  /** Requests per mailbox per window (Outlook: 10,000 per 10 minutes). */
  budget: number;
  latencyMs: number;
  /** The budget's window in seconds: 600 (Outlook's 10 minutes) when absent; Google's per-user quota counts per minute, 60. */
  windowSeconds?: number;
}

export interface Ceiling {
  seconds: number;
  eventsPerSecond: number;
}

/**
 * A backfill of `perMailbox` events in each of `mailboxes` mailboxes with no faults: at most
 * `concurrency` requests in service per mailbox, each taking the latency, and at most `budget`
 * requests per mailbox in a window (10 minutes unless `windowSeconds` says otherwise); a request
 * past the budget waits until the one `budget` places before it has left the window (exact when a
 * window's budget is sent well within the window). Every event needs one request (a JSON batch
 * saves round trips, not requests: its items count against the mailbox).
 */
export function ceiling(mailboxes: number, perMailbox: number, limits: Limits): Ceiling {
  const windows = Math.ceil(perMailbox / limits.budget) - 1;
  const last = perMailbox - windows * limits.budget;
  const seconds = windows * (limits.windowSeconds ?? 600) + (last * limits.latencyMs) / limits.concurrency / 1000;
  return { seconds, eventsPerSecond: (mailboxes * perMailbox) / seconds };
}

/**
 * The same backfill when each request fails with probability `faultShare` and the failed request
 * may be sent again only after `retryAfterMs` (a 429 or 503 with Retry-After), as the benchmark's
 * faults do. The best any client that honours Retry-After can do, simulated: every mailbox starts
 * at 0; a lane takes the next request the moment it is free; a failed request costs no lane time
 * and waits only for itself (nothing else in its mailbox pauses, none of its followers fail with
 * it). The backfill ends with its slowest mailbox; the median over `trials` seeded runs is given.
 * Only for a backfill within one budget window. `random` returns [0, 1).
 */
export function faultedCeiling(mailboxes: number, perMailbox: number, limits: Limits, faultShare: number, retryAfterMs: number, random: () => number, trials = 101): Ceiling {
  if (perMailbox > limits.budget) throw new Error('faultedCeiling: more requests per mailbox than one budget window');
  const finishes: number[] = [];
  for (let t = 0; t < trials; t++) {
    let slowest = 0;
    for (let m = 0; m < mailboxes; m++) slowest = Math.max(slowest, mailboxFinishMs(perMailbox, limits, faultShare, retryAfterMs, random));
    finishes.push(slowest);
  }
  finishes.sort((a, b) => a - b);
  const seconds = finishes[Math.floor(finishes.length / 2)]! / 1000;
  return { seconds, eventsPerSecond: (mailboxes * perMailbox) / seconds };
}

/** One mailbox: requests taken in order of readiness, each by the lane free first. */
function mailboxFinishMs(requests: number, limits: Limits, faultShare: number, retryAfterMs: number, random: () => number): number {
  const lanes = new Array<number>(limits.concurrency).fill(0);
  // When each unfinished request may be sent (0 at first; after a failure, its Retry-After).
  const ready: number[] = new Array<number>(requests).fill(0);
  let finish = 0;
  while (ready.length) {
    let r = 0;
    for (let i = 1; i < ready.length; i++) if (ready[i]! < ready[r]!) r = i;
    let lane = 0;
    for (let i = 1; i < lanes.length; i++) if (lanes[i]! < lanes[lane]!) lane = i;
    const start = Math.max(lanes[lane]!, ready[r]!);
    if (random() < faultShare) {
      ready[r] = start + retryAfterMs;
      continue;
    }
    lanes[lane] = start + limits.latencyMs;
    finish = Math.max(finish, lanes[lane]!);
    ready.splice(r, 1);
  }
  return finish;
}
