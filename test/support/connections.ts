// A company with calendar sync on and a traveler connected, written straight to the store, for
// tests of what follows a connection (reconciles, jobs) rather than of connecting itself.
import { randomUUID } from 'node:crypto';
import { markConnected } from '../../src/store/calendar-connections.ts';
import { recordGrant, setSyncEnabled } from '../../src/store/company-calendars.ts';
import type { Db } from '../../src/store/database.ts';
import type { SecretBox } from '../../src/store/secret-box.ts';

/** The company's Outlook grant, and its sync switch as given. */
export async function enableOutlook(db: Db, organisationId: string, syncOn = true): Promise<string> {
  const tenantId = randomUUID();
  await recordGrant(db, organisationId, 'outlook', { status: 'granted', organization: tenantId }, new Date());
  await setSyncEnabled(db, organisationId, 'outlook', syncOn, new Date());
  return tenantId;
}

/** Connects the user's Outlook with a made-up account and an empty credential; returns the connection's id. */
export async function connectOutlook(db: Db, box: SecretBox, user: { userId: string; organisationId: string; email: string; name?: string }): Promise<string> {
  const tenantId = randomUUID();
  const objectId = randomUUID();
  return markConnected(db, box, {
    userId: user.userId, organisationId: user.organisationId, provider: 'outlook',
    account: { key: `${tenantId}/${objectId}`, username: user.email, name: user.name ?? user.email, organization: tenantId, details: { tenantId, objectId, homeAccountId: `${objectId}.${tenantId}` } },
    credential: '{}', at: new Date(),
  });
}
