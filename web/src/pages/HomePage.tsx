import { Button, Link } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, type MyOutlookStatus, type TripListItem } from '../api.ts';
import { ConnectOutlookButton } from '../components/ConnectOutlookButton.tsx';
import { ErrorMessage, Loading } from '../components/Status.tsx';
import { formatDate } from '../format.ts';
import { reasonText } from '../reason.ts';
import { useSession } from '../session.tsx';
import { useLoad } from '../use-load.ts';
import { usePageTitle } from '../use-title.ts';

function ConnectPrompt({ outlook, onDismissed }: { outlook: MyOutlookStatus; onDismissed: () => void }) {
  const { t } = useTranslation();
  const lapsed = outlook.status === 'lapsed' || outlook.status === 'revoked';
  const dismiss = async () => {
    await api.dismissPrompt().catch(() => undefined);
    onDismissed();
  };
  return (
    <section className="prompt" aria-labelledby="prompt-title" data-testid="connect-prompt">
      <h2 id="prompt-title">{lapsed ? t('prompt.lapsedTitle') : t('prompt.title')}</h2>
      <p>{lapsed ? t('prompt.lapsedText', { reason: reasonText(t, outlook.reason) || t(`connection.${outlook.status}`) }) : t('prompt.text')}</p>
      <div className="actions">
        <ConnectOutlookButton start={api.connectMyOutlook} label={t('prompt.connect')} />
        <Button className="button secondary" onPress={() => void dismiss()}>
          {t('prompt.dismiss')}
        </Button>
      </div>
      <p className="muted small">{t('prompt.dismissHint')}</p>
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
  const outlook = useLoad(api.myOutlook, []);

  return (
    <>
      <h1>{t('home.title')}</h1>
      <p>{t('home.welcome', { name: me.displayName })}</p>
      {outlook.data?.showConnectPrompt && <ConnectPrompt outlook={outlook.data} onDismissed={outlook.reload} />}
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
