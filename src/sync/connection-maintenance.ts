// Daily care of every calendar connection:
// - keep-alive: a provider may end a credential left unused (Outlook's refresh tokens end after 90
//   days unused); a connection whose credential was last refreshed KEEPALIVE_DAYS ago is refreshed
//   now, so an active traveler never lapses for that reason;
// - the company's rule (the source document): a traveler who has not logged in to the OBT for
//   `login_policy_days` lapses, after a reminder REMINDER_DAYS before.
// Connections made under a company's delegation are left alone: the traveler does nothing for them.
import { DELEGATED_USER } from '../domain/calendar-delegation.ts';
import { CalendarProviderError } from '../calendars/errors.ts';
import type { CalendarProviders } from '../calendars/registry.ts';
import { connectionsToCareFor, credentialStore, markReminderSent, transition } from '../store/calendar-connections.ts';
import type { Db } from '../store/database.ts';
import { findUser } from '../store/organisations.ts';
import type { SecretBox } from '../store/secret-box.ts';
import type { User } from '../domain/types.ts';
import { applyConnectionError } from './connection-policy.ts';

export const KEEPALIVE_DAYS = 30;
export const REMINDER_DAYS = 7;
const DAY = 86_400_000;

export interface MaintenanceDeps {
  db: Db;
  providers: CalendarProviders;
  box: SecretBox;
  /** Sends the reminder email about the connection to `provider` (composed by the caller's mail module). */
  remind?: (user: User, policyDays: number, deadline: Date, provider: string) => Promise<void>;
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
  const remindedUsers = new Set<string>();

  for (const c of await connectionsToCareFor(db)) {
    // A connection made under the company's delegation holds no credential of the traveler's and
    // asks nothing of them: neither the log-in rule nor a keep-alive applies to it.
    if (c.details[DELEGATED_USER] !== undefined) continue;
    if (c.login_policy_days !== null) {
      const lastLogin = new Date(Math.max(new Date(c.last_login_at ?? 0).getTime(), new Date(c.connected_at).getTime()));
      const deadline = new Date(lastLogin.getTime() + c.login_policy_days * DAY);
      if (now >= deadline) {
        await transition(db, c.id, 'lapsed', 'obt_login_expired', now);
        report.lapsedByPolicy++;
        continue;
      }
      const reminded = c.reminder_sent_at && new Date(c.reminder_sent_at) > lastLogin;
      if (!reminded && now.getTime() >= deadline.getTime() - REMINDER_DAYS * DAY && deps.remind) {
        // One reminder per traveler, however many calendars they connected.
        if (!remindedUsers.has(c.user_id)) {
          const user = await findUser(db, c.user_id);
          if (user) {
            await deps.remind(user, c.login_policy_days, deadline, c.provider);
            remindedUsers.add(c.user_id);
            report.reminded++;
          }
        }
        await markReminderSent(db, c.id, now);
      }
    }
    const provider = deps.providers.get(c.provider);
    const lastRefresh = new Date(c.last_refreshed_at ?? c.connected_at).getTime();
    if (provider && now.getTime() - lastRefresh >= KEEPALIVE_DAYS * DAY) {
      try {
        await provider.keepAlive.refresh({ details: c.details, credentials: credentialStore(db, deps.box, c, () => now) });
        report.refreshed++;
      } catch (error) {
        if (!(error instanceof CalendarProviderError)) throw error;
        const applied = await applyConnectionError(deps, c, error, now);
        if (applied && applied.status !== 'retry') report.lapsedByProvider++;
      }
    }
  }
  return report;
}
