// Daily care of every Outlook connection:
// - keep-alive: Microsoft ends a refresh token unused for 90 days (AADSTS700082); a connection
//   whose tokens were last refreshed KEEPALIVE_DAYS ago is refreshed now, so an active traveler
//   never lapses for that reason;
// - the company's rule (the source document): a traveler who has not logged in to the OBT for
//   `login_policy_days` lapses, after a reminder REMINDER_DAYS before.
import { CalendarProviderError, type CalendarProvider } from '../calendars/contract.ts';
import type { Db } from '../store/database.ts';
import { findUser } from '../store/organisations.ts';
import { markLapsed, organisationOutlook, tokenCacheStore } from '../store/outlook.ts';
import type { SecretBox } from '../store/secret-box.ts';
import type { User } from '../domain/types.ts';
import { applyConnectionError } from './connection-policy.ts';

export const KEEPALIVE_DAYS = 30;
export const REMINDER_DAYS = 7;
const DAY = 86_400_000;

export interface MaintenanceDeps {
  db: Db;
  provider: CalendarProvider;
  box: SecretBox;
  /** Sends the reminder email (composed by the caller's mail module). */
  remind?: (user: User, policyDays: number, deadline: Date) => Promise<void>;
  now?: () => Date;
}

export interface MaintenanceReport {
  refreshed: number;
  reminded: number;
  lapsedByPolicy: number;
  lapsedByProvider: number;
}

export async function runConnectionMaintenance(deps: MaintenanceDeps): Promise<MaintenanceReport> {
  const { db } = deps;
  const now = (deps.now ?? (() => new Date()))();
  const report: MaintenanceReport = { refreshed: 0, reminded: 0, lapsedByPolicy: 0, lapsedByProvider: 0 };
  const connections = await db
    .selectFrom('outlook_connections')
    .innerJoin('users', 'users.id', 'outlook_connections.user_id')
    .select(['outlook_connections.user_id', 'outlook_connections.organisation_id', 'outlook_connections.home_account_id', 'outlook_connections.connected_at',
      'outlook_connections.last_refreshed_at', 'outlook_connections.reminder_sent_at', 'users.last_login_at'])
    .where('outlook_connections.status', '=', 'connected')
    .execute();

  for (const c of connections) {
    const org = await organisationOutlook(db, c.organisation_id);
    if (org.login_policy_days !== null) {
      const lastLogin = new Date(Math.max(new Date(c.last_login_at ?? 0).getTime(), new Date(c.connected_at).getTime()));
      const deadline = new Date(lastLogin.getTime() + org.login_policy_days * DAY);
      if (now >= deadline) {
        await markLapsed(db, c.user_id, 'obt_login_expired', now);
        report.lapsedByPolicy++;
        continue;
      }
      const reminded = c.reminder_sent_at && new Date(c.reminder_sent_at) > lastLogin;
      if (!reminded && now.getTime() >= deadline.getTime() - REMINDER_DAYS * DAY && deps.remind) {
        const user = await findUser(db, c.user_id);
        if (user) {
          await deps.remind(user, org.login_policy_days, deadline);
          await db.updateTable('outlook_connections').set({ reminder_sent_at: now }).where('user_id', '=', c.user_id).execute();
          report.reminded++;
        }
      }
    }
    const lastRefresh = new Date(c.last_refreshed_at ?? c.connected_at).getTime();
    if (now.getTime() - lastRefresh >= KEEPALIVE_DAYS * DAY) {
      try {
        await deps.provider.refresh({ homeAccountId: c.home_account_id, cache: tokenCacheStore(db, deps.box, c.user_id, () => now) });
        report.refreshed++;
      } catch (error) {
        if (!(error instanceof CalendarProviderError)) throw error;
        if (await applyConnectionError(db, { userId: c.user_id, organisationId: c.organisation_id }, error, now)) report.lapsedByProvider++;
      }
    }
  }
  return report;
}

