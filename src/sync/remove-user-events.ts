// Removes the events we wrote to a user's connected calendars (a traveler deprovisioned by a
// company that chose removal), the way a traveler's own disconnect with removal does. Events the
// calendar no longer has count as removed; any other failure leaves the event's record, so it is
// not forgotten silently.
import type { CalendarProviders } from '../calendars/registry.ts';
import { credentialStore, userConnections } from '../store/calendar-connections.ts';
import { forgetEvents, writtenEvents } from '../store/calendar-events.ts';
import type { Db } from '../store/database.ts';
import type { SecretBox } from '../store/secret-box.ts';

export async function removeUserEvents(deps: { db: Db; providers: CalendarProviders; box: SecretBox; now?: () => Date }, userId: string): Promise<void> {
  const now = deps.now ?? (() => new Date());
  for (const connection of await userConnections(deps.db, userId)) {
    const provider = deps.providers.get(connection.provider);
    if (!provider || connection.status !== 'connected') continue;
    const written = await writtenEvents(deps.db, connection.id);
    if (!written.length) continue;
    const calendar = provider.account({ details: connection.details, credentials: credentialStore(deps.db, deps.box, connection, now) });
    const results = await calendar.write(written.map((m) => ({ kind: 'delete' as const, key: m.segmentId, eventId: m.eventId })));
    await forgetEvents(deps.db, connection.id, results.filter((r) => r.ok || r.error.code === 'not_found').map((r) => r.key));
  }
}
