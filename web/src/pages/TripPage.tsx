import { useEffect } from 'react';
import { Link } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { api, ApiError, type TripDetail } from '../api.ts';
import { ErrorMessage, Loading } from '../components/Status.tsx';
import { formatLocal, zoneName } from '../format.ts';
import { useProviderText } from '../provider-text.ts';
import { reasonText } from '../reason.ts';
import { useLoad } from '../use-load.ts';
import { NotFoundPage } from './NotFoundPage.tsx';
import { usePageTitle } from '../use-title.ts';

type Segment = TripDetail['trip']['segments'][number];

function When({ label, local, timeZone, extra }: { label: string; local: string; timeZone: string; extra?: string }) {
  const { i18n } = useTranslation();
  return (
    <div className="when">
      <dt>{label}</dt>
      <dd>
        <time dateTime={local}>{formatLocal(local, timeZone, i18n.language)}</time>{' '}
        <span className="zone">
          ({zoneName(local, timeZone, i18n.language)} · {timeZone})
        </span>
        {extra && <span className="muted"> · {extra}</span>}
      </dd>
    </div>
  );
}

export function segmentTitle(s: Segment): string {
  switch (s.kind) {
    case 'flight':
      return `${s.flightNumber} ${s.departure.airport} → ${s.arrival.airport}`;
    case 'rail':
      return `${s.operator} ${s.trainNumber} ${s.departure.station} → ${s.arrival.station}`;
    case 'hotel':
      return s.property;
    case 'car':
      return `${s.vendor} ${s.pickUp.place}`;
  }
}

function SegmentDetails({ s }: { s: Segment }) {
  const { t } = useTranslation();
  const join = (...xs: Array<string | false | undefined>) => xs.filter(Boolean).join(' · ') || undefined;
  switch (s.kind) {
    case 'flight':
      return (
        <>
        <dl>
          <When label={t('trip.departure')} local={s.departure.local} timeZone={s.departure.timeZone} extra={join(s.departure.airport, s.departure.terminal && t('trip.terminal', { terminal: s.departure.terminal }))} />
          <When label={t('trip.arrival')} local={s.arrival.local} timeZone={s.arrival.timeZone} extra={join(s.arrival.airport, s.arrival.terminal && t('trip.terminal', { terminal: s.arrival.terminal }))} />
        </dl>
        {(s.seat || s.recordLocator) && <p className="muted">{join(s.seat && t('trip.seat', { seat: s.seat }), s.cabin, s.recordLocator && t('trip.confirmation', { code: s.recordLocator }))}</p>}
        </>
      );
    case 'rail':
      return (
        <>
        <dl>
          <When label={t('trip.departure')} local={s.departure.local} timeZone={s.departure.timeZone} extra={s.departure.station} />
          <When label={t('trip.arrival')} local={s.arrival.local} timeZone={s.arrival.timeZone} extra={s.arrival.station} />
        </dl>
        {(s.seat || s.confirmation) && <p className="muted">{join(s.car && t('trip.car', { car: s.car }), s.seat && t('trip.seat', { seat: s.seat }), s.confirmation && t('trip.confirmation', { code: s.confirmation }))}</p>}
        </>
      );
    case 'hotel':
      return (
        <>
        <dl>
          <When label={t('trip.checkIn')} local={s.checkIn.time ? `${s.checkIn.date}T${s.checkIn.time}` : s.checkIn.date} timeZone={s.timeZone} />
          <When label={t('trip.checkOut')} local={s.checkOut.time ? `${s.checkOut.date}T${s.checkOut.time}` : s.checkOut.date} timeZone={s.timeZone} />
        </dl>
        {(s.address || s.confirmation) && <p className="muted">{join(s.address, s.confirmation && t('trip.confirmation', { code: s.confirmation }))}</p>}
        </>
      );
    case 'car':
      return (
        <>
        <dl>
          <When label={t('trip.pickUp')} local={s.pickUp.local} timeZone={s.pickUp.timeZone} extra={s.pickUp.place} />
          <When label={t('trip.dropOff')} local={s.dropOff.local} timeZone={s.dropOff.timeZone} extra={s.dropOff.place} />
        </dl>
        {s.confirmation && <p className="muted">{join(s.carType, t('trip.confirmation', { code: s.confirmation }))}</p>}
        </>
      );
  }
}

/** The segment's state in each of the traveler's calendars ("Outlookカレンダー: 同期済み"). */
function CalendarStates({ s, calendars }: { s: Segment; calendars: TripDetail['calendars'] }) {
  const { t, tp, labels } = useProviderText();
  return (
    <>
      {calendars.map(({ provider, segments }) => {
        const cal = segments[s.id] ?? segments[s.ref];
        if (!cal) return null;
        return (
          <p key={provider.id} className={`calendar-state ${cal.state}`} data-testid={`calendar-${provider.id}-${s.ref}`}>
            {labels(provider).calendar}: {tp(provider, `calendarState.${cal.state}`, { reason: reasonText(t, cal.error, true) })}
          </p>
        );
      })}
    </>
  );
}

export function TripPage() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const { data, error, reload } = useLoad(() => api.trip(id), [id]);
  usePageTitle(data ? (data.trip.title ?? data.trip.bookingRef) : t('trip.title'));

  // While events wait to be written, look again now and then: the sync job runs in the background.
  const pending = !!data && data.calendars.some((c) => Object.values(c.segments).some((x) => x.state === 'pending'));
  useEffect(() => {
    if (!pending) return;
    const timer = setTimeout(reload, 3000);
    return () => clearTimeout(timer);
  }, [pending, data, reload]);

  if (error instanceof ApiError && (error.status === 404 || error.status === 403)) return <NotFoundPage />;
  if (error) return <ErrorMessage error={error} onRetry={reload} />;
  if (!data) return <Loading />;
  const { trip, calendars } = data;

  return (
    <>
      <p>
        <Link href="/">{t('trip.backToHome')}</Link>
      </p>
      <h1>{trip.title ?? trip.bookingRef}</h1>
      <dl className="facts">
        <div>
          <dt>{t('trip.bookingRef')}</dt>
          <dd>{trip.bookingRef}</dd>
        </div>
        <div>
          <dt>{t('trip.status')}</dt>
          <dd>{trip.status === 'cancelled' ? t('trip.statusCancelled') : t('trip.statusActive')}</dd>
        </div>
      </dl>
      <p>
        <a className="button secondary" href={`/api/trips/${encodeURIComponent(trip.id)}/itinerary.ics`} download={`${trip.bookingRef}.ics`}>
          {t('trip.downloadIcs')}
        </a>
      </p>
      <p className="muted small">{t('trip.icsHint')}</p>
      <h2>{t('trip.segments')}</h2>
      <ol className="segments">
        {trip.segments.map((s) => {
          const headingId = `seg-${s.id}`;
          return (
            <li key={s.id} className={`segment ${s.status}`} aria-labelledby={headingId}>
              <h3 id={headingId}>
                <span className="badge">{t(`trip.kind.${s.kind}`)}</span> {segmentTitle(s)}
              </h3>
              {s.status === 'cancelled' && <p className="badge cancelled">{t('trip.segmentCancelled')}</p>}
              <SegmentDetails s={s} />
              <CalendarStates s={s} calendars={calendars} />
            </li>
          );
        })}
      </ol>
    </>
  );
}
