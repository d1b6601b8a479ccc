// Changes a demo booking the way the booking engine does (the server calls the booking API with
// the company's key), so a person can watch the email and the calendar follow.
import { useState, type FormEvent } from 'react';
import { Button, Form, Input, Label, Link, TextField } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, devApi, type TripDetail } from '../api.ts';
import { ErrorMessage } from '../components/Status.tsx';
import { useLoad } from '../use-load.ts';
import { segmentTitle } from './TripPage.tsx';
import { usePageTitle } from '../use-title.ts';

export function DevBookingsPage() {
  const { t } = useTranslation();
  const mine = useLoad(api.trips, []);
  usePageTitle(t('dev.bookingsTitle'));
  const [ref, setRef] = useState('');
  const [trip, setTrip] = useState<TripDetail['trip'] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);

  const load = async (r: string) => {
    setError(null);
    setDone(null);
    try {
      setTrip(await devApi.booking(r));
    } catch (e) {
      setTrip(null);
      setError(e);
    }
  };
  const act = async (run: () => Promise<unknown>) => {
    setError(null);
    try {
      const res = (await run()) as { version?: number } | undefined;
      const fresh = await devApi.booking(trip!.bookingRef);
      setTrip(fresh);
      setDone(t('dev.done', { version: res?.version ?? fresh.version }));
    } catch (e) {
      setError(e);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void load(ref);
  };

  return (
    <>
      <h1>{t('dev.bookingsTitle')}</h1>
      <p>{t('dev.bookingsIntro')}</p>
      {mine.data && mine.data.length > 0 && (
        <section aria-labelledby="my-trips">
          <h2 id="my-trips">{t('dev.myTrips')}</h2>
          <ul className="inline-list">
            {mine.data.map((x) => (
              <li key={x.id}>
                <Button className="button secondary small" onPress={() => { setRef(x.bookingRef); void load(x.bookingRef); }}>
                  {x.bookingRef}
                </Button>
              </li>
            ))}
          </ul>
        </section>
      )}
      <Form onSubmit={submit} className="form inline">
        <TextField value={ref} onChange={setRef} isRequired className="field">
          <Label>{t('dev.bookingRef')}</Label>
          <Input />
        </TextField>
        <Button type="submit" className="button primary">
          {t('dev.load')}
        </Button>
      </Form>
      {error ? <ErrorMessage error={error} /> : null}
      {done && <p role="status">{done}</p>}
      {trip && (
        <section aria-labelledby="dev-trip-title">
          <h2 id="dev-trip-title">
            {trip.title ?? trip.bookingRef} ({trip.bookingRef}, v{trip.version}) {trip.status === 'cancelled' ? `· ${t('trip.statusCancelled')}` : ''}
          </h2>
          <p>
            <Link href={`/trips/${trip.id}`}>{t('trip.title')}</Link>
          </p>
          <ul className="segments">
            {trip.segments.map((s) => (
              <li key={s.id} className={`segment ${s.status}`}>
                <span>
                  {s.ref}: {segmentTitle(s)} {s.status === 'cancelled' ? `(${t('trip.statusCancelled')})` : ''}
                </span>
                {s.status === 'confirmed' && trip.status !== 'cancelled' && (
                  <span className="actions">
                    <Button className="button secondary small" aria-label={t('dev.shiftLabel', { segment: s.ref })} onPress={() => void act(() => devApi.shiftSegment(trip.bookingRef, s.ref, 60))}>
                      {t('dev.shift')}
                    </Button>
                    <Button className="button secondary small" aria-label={t('dev.cancelSegmentLabel', { segment: s.ref })} onPress={() => void act(() => devApi.cancelSegment(trip.bookingRef, s.ref))}>
                      {t('dev.cancelSegment')}
                    </Button>
                  </span>
                )}
              </li>
            ))}
          </ul>
          {trip.status !== 'cancelled' && (
            <Button className="button danger" onPress={() => void act(() => devApi.cancelTrip(trip.bookingRef))}>
              {t('dev.cancelTrip')}
            </Button>
          )}
        </section>
      )}
    </>
  );
}
