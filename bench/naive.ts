// The naive baseline: what most calendar integrations do. One Graph request per event, one after
// the other (no JSON batching, no pacing, no diff): a create per segment on backfill, a PATCH per
// change. Built from the same primitives as the product (the Microsoft Graph JS client with its
// default middleware, which honours Retry-After on 429/503; our event mapping and projection), so
// the difference measured is the sync strategy alone.
import { randomUUID } from 'node:crypto';
import { Client } from '@microsoft/microsoft-graph-client';
import type { TestSandbox } from '../sandbox/test/helpers.ts';
import { connectWithMsal } from '../sandbox/test/helpers.ts';
import { mapCreate, mapEvent } from '../src/calendars/outlook/map-event.ts';
import { applyBooking } from '../src/domain/apply-booking.ts';
import type { TripInput } from '../src/domain/booking-schema.ts';
import { parseSegments } from '../src/domain/parse-booking.ts';
import { projectTrip, type DesiredEvent } from '../src/domain/project-segment.ts';
import type { Trip } from '../src/domain/types.ts';

/** The events of a trip, as the product would project them. */
export function eventsOf(input: TripInput, travelerId = 'naive'): DesiredEvent[] {
  const parsed = parseSegments(input.segments, { homeTimeZone: 'Asia/Tokyo' });
  const { segments } = applyBooking([], parsed);
  const trip: Trip = {
    id: `naive-${input.bookingRef}`, organisationId: 'naive', travelerId, bookingRef: input.bookingRef,
    ...(input.title ? { title: input.title } : {}), version: 1, status: 'active',
    segments: segments.map((s) => ({ ...s, id: `${input.bookingRef}-${s.ref}` })),
  };
  return projectTrip(trip, 'ja');
}

export interface NaiveMailbox {
  client: Client;
  /** segment key → event id, as created. */
  eventIds: Map<string, string>;
}

/** Signs in through MSAL against the sandbox (the real authorization-code flow) and opens a Graph client. */
export async function openNaiveMailbox(sandbox: TestSandbox, email: string, tenantId: string): Promise<NaiveMailbox> {
  const { result } = await connectWithMsal(sandbox, email, { tenant: tenantId });
  const client = Client.initWithMiddleware({
    authProvider: { getAccessToken: async () => result.accessToken },
    baseUrl: `${sandbox.url}/`,
    defaultVersion: 'v1.0',
    customHosts: new Set([new URL(sandbox.url).hostname]),
  });
  return { client, eventIds: new Map() };
}

/** Backfill, naively: every event created with its own request, in sequence. */
export async function naiveBackfill(work: Array<{ mailbox: NaiveMailbox; events: DesiredEvent[] }>): Promise<number> {
  let n = 0;
  for (const { mailbox, events } of work) {
    for (const event of events) {
      const created = (await mailbox.client.api('/me/events').post(mapCreate(event, event.key, randomUUID()))) as { id: string };
      mailbox.eventIds.set(event.key, created.id);
      n++;
    }
  }
  return n;
}

/**
 * Steady state, naively: changes arrive at `ratePerSecond`; one worker PATCHes each changed event
 * in arrival order. Returns each change's arrival-to-written latency in ms.
 */
export async function naiveSteady(changes: Array<{ mailbox: NaiveMailbox; event: DesiredEvent }>, ratePerSecond: number): Promise<number[]> {
  const start = performance.now();
  const latencies: number[] = [];
  for (const [i, change] of changes.entries()) {
    const arrival = start + (i * 1000) / ratePerSecond;
    const wait = arrival - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await change.mailbox.client.api(`/me/events/${encodeURIComponent(change.mailbox.eventIds.get(change.event.key)!)}`).patch(mapEvent(change.event));
    latencies.push(performance.now() - arrival);
  }
  return latencies;
}
