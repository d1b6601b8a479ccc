import { Button, Link } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, type MyCalendarStatus, type TripListItem } from '../api.ts';
import { ConnectCalendarButton } from '../components/ConnectCalendarButton.tsx';
import { ErrorMessage, Loading } from '../components/Status.tsx';
import { formatDate } from '../format.ts';
import { useProviderText } from '../provider-text.ts';
import { reasonText } from '../reason.ts';
import { useSession } from '../session.tsx';
import { useLoad } from '../use-load.ts';
import { usePageTitle } from '../use-title.ts';

/** The connect prompt of one provider ("Outlookカレンダーと接続"), when the API says to show it. */
function ConnectPrompt({ calendar, onDismissed }: { calendar: MyCalendarStatus; onDismissed: () => void }) {
  const { t, tp, labels } = useProviderText();
  const { provider } = calendar;
  const lapsed = calendar.status === 'lapsed' || calendar.status === 'revoked';
  const titleId = `prompt-title-${provider.id}`;
  const dismiss = async () => {
    await api.dismissPrompt(provider.id).catch(() => undefined);
    onDismissed();
  };
  return (
    <section className="prompt" aria-labelledby={titleId} data-testid={`connect-prompt-${provider.id}`}>
      <h2 id={titleId}>{lapsed ? tp(provider, 'prompt.lapsedTitle') : tp(provider, 'prompt.title')}</h2>
      <p>{lapsed ? tp(provider, 'prompt.lapsedText', { reason: reasonText(t, calendar.reason) || t('reason.unknown', { reason: t(`connection.${calendar.status}`) }) }) : tp(provider, 'prompt.text')}</p>
      <div className="actions">
        <ConnectCalendarButton
          // A provider connected with a form is connected on its tile, under Connected apps.
          start={provider.connectMethod === 'password' ? async () => ({ url: '/profile/connected-apps' }) : () => api.connectMyCalendar(provider.id, 'home')}
          label={labels(provider).connect}
        />
        <Button className="button secondary" onPress={() => void dismiss()}>
          {tp(provider, 'prompt.dismiss')}
        </Button>
      </div>
      <p className="muted small">{tp(provider, 'prompt.dismissHint')}</p>
    </section>
  );
}

function TripList({ trips }: { trips: TripListItem[] }) {
  const { t, i18n } = useTranslation();
  const { me } = useSession();
  if (trips.length === 0) return <p className="muted">{t('home.noTrips')}</p>;
  return (
    <ul className="trip-list">
      {trips.map((trip) => (
        <li key={trip.id} className="trip-card">
          <Link href={`/trips/${trip.id}`} className="trip-link">
            {trip.title ?? t('home.untitled', { ref: trip.bookingRef })}
          </Link>
          <p className="muted">
            {t('home.bookingRef', { ref: trip.bookingRef })}
            {trip.startsAt && ` · ${t('home.period', { start: formatDate(trip.startsAt, i18n.language, me.timeZone), end: formatDate(trip.endsAt ?? trip.startsAt, i18n.language, me.timeZone) })}`}
          </p>
          {trip.status === 'cancelled' && <span className="badge cancelled">{t('home.cancelled')}</span>}
        </li>
      ))}
    </ul>
  );
}

export function HomePage() {
  const { me } = useSession();
  const { t } = useTranslation();
  usePageTitle(t('home.title'));
  const trips = useLoad(api.trips, []);
  const calendars = useLoad(api.myCalendars, []);

  return (
    <>
      <h1>{t('home.title')}</h1>
      <p>{t('home.welcome', { name: me.displayName })}</p>
      {calendars.data
        ?.filter((c) => c.showConnectPrompt)
        .map((c) => <ConnectPrompt key={c.provider.id} calendar={c} onDismissed={calendars.reload} />)}
      {trips.error ? (
        <ErrorMessage error={trips.error} onRetry={trips.reload} />
      ) : !trips.data ? (
        <Loading />
      ) : (
        (['current', 'upcoming', 'past'] as const).map((timing) => (
          <section key={timing} aria-labelledby={`trips-${timing}`} className="trip-section">
            <h2 id={`trips-${timing}`}>{t(`home.${timing}`)}</h2>
            <TripList trips={trips.data!.filter((x) => x.timing === timing)} />
          </section>
        ))
      )}
    </>
  );
}
