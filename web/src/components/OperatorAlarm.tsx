// A fault only tripcal's operator can fix (an expired client secret, a wrong redirect URI, a full
// quota) pauses a provider's sync for every company. Company admins see it wherever they look at
// their calendars: in the provider's dialog, on the company overview and on the Integrations page,
// in plain words and without the provider's error codes.
import type { CompanyCalendarStatus } from '../api.ts';
import { formatInstant } from '../format.ts';
import { useProviderText } from '../provider-text.ts';

/** The banner for one provider's alarm; `named` adds the provider's name (on pages listing several). */
export function OperatorAlarm({ status, named = false }: { status: CompanyCalendarStatus; named?: boolean }) {
  const { t, i18n, labels } = useProviderText();
  if (!status.operatorAlarm) return null;
  const id = `operator-alarm-title-${status.provider.id}`;
  return (
    <section role="alert" aria-labelledby={id} className="alert error" data-testid={`operator-alarm-${status.provider.id}`}>
      <h3 id={id}>
        {named ? t('calendarDialog.operatorAlarmNamedTitle', { integration: labels(status.provider).integration }) : t('calendarDialog.operatorAlarmTitle')}
      </h3>
      <p>{t('calendarDialog.operatorAlarmText', { since: formatInstant(status.operatorAlarm.since, i18n.language) })}</p>
    </section>
  );
}

/** Every alarm among the company's calendars, each naming its provider. */
export function OperatorAlarms({ statuses }: { statuses: readonly CompanyCalendarStatus[] }) {
  return (
    <>
      {statuses.filter((s) => s.operatorAlarm).map((s) => (
        <OperatorAlarm key={s.provider.id} status={s} named />
      ))}
    </>
  );
}
