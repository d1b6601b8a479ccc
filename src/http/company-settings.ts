// A company's settings, changed from the web app (会社 → 設定) or the operator API. A setting that
// changes what calendars show is applied to the calendars already holding events: the change and
// a reconcile of every connected calendar of the company commit together (no event is written
// twice: each reconcile compares with the record of what that calendar holds).
import type { Store } from '../store/database.ts';
import { syncedConnectionIds } from '../store/calendar-connections.ts';
import { companySettings, updateCompanySettings, type CompanySettings } from '../store/organisations.ts';
import { enqueueSyncs } from '../sync/sync-jobs.ts';

export async function changeCompanySettings(store: Store, organisationId: string, settings: Partial<CompanySettings>): Promise<CompanySettings | undefined> {
  return store.db.transaction().execute(async (tx) => {
    const before = await companySettings(tx, organisationId);
    if (!before) return undefined;
    const after = await updateCompanySettings(tx, organisationId, settings);
    if (after && after.keepCancelledEvents !== before.keepCancelledEvents) {
      await enqueueSyncs(store, tx, await syncedConnectionIds(tx, organisationId));
    }
    return after;
  });
}
