// The connect form of a provider that connects with a password (its registry entry says so): the
// server's address, a username and an app-specific password, then the account's calendar to use.
import { useState } from 'react';
import { Button, Form, Input, Label, Radio, RadioGroup, TextField } from 'react-aria-components';
import { api, ApiError, type Locale, type ProviderDescriptor } from '../api.ts';
import { useProviderText } from '../provider-text.ts';

export function PasswordConnectForm({ provider, isDisabled, onConnected }: { provider: ProviderDescriptor; isDisabled: boolean; onConnected: () => void }) {
  const { t, labels, i18n } = useProviderText();
  const form = provider.passwordForm?.[(i18n.language === 'ja' ? 'ja' : 'en') as Locale];
  const [serverUrl, setServerUrl] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [calendars, setCalendars] = useState<Array<{ id: string; name: string }> | null>(null);
  const [calendarId, setCalendarId] = useState<string | null>(null);
  const [error, setError] = useState<{ field?: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const answer = await api.connectMyCalendarWithPassword(provider.id, { serverUrl, username, password, ...(calendarId ? { calendarId } : {}) });
      if (answer.result === 'choose_calendar') {
        setCalendars(answer.calendars);
        setCalendarId(answer.calendars[0]?.id ?? null);
      } else {
        setPassword('');
        onConnected();
      }
    } catch (e) {
      setError({ ...(e instanceof ApiError && e.field ? { field: e.field } : {}), message: e instanceof Error ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  };
  const invalid = (field: string) => error?.field === field;
  // A field marked invalid holds the form back (the browser's own validation): editing it clears
  // the mark, so the corrected value can be sent.
  const edited = (field: string) => {
    if (invalid(field)) setError(null);
  };

  return (
    <Form className="stack" onSubmit={(e) => { e.preventDefault(); void submit(); }} aria-label={labels(provider).connect}>
      {form && <p className="muted small">{form.help}</p>}
      <TextField name="serverUrl" type="url" isRequired value={serverUrl} onChange={(v) => { setServerUrl(v); setCalendars(null); setCalendarId(null); edited('serverUrl'); }} isInvalid={invalid('serverUrl')} className="field">
        <Label>{t('passwordConnect.serverUrl')}</Label>
        <Input placeholder={form?.serverExample} />
      </TextField>
      <TextField name="username" autoComplete="username" isRequired value={username} onChange={(v) => { setUsername(v); edited('username'); }} isInvalid={invalid('username')} className="field">
        <Label>{t('passwordConnect.username')}</Label>
        <Input />
      </TextField>
      <TextField name="password" type="password" autoComplete="off" isRequired value={password} onChange={(v) => { setPassword(v); edited('password'); }} isInvalid={invalid('password')} className="field">
        <Label>{t('passwordConnect.password')}</Label>
        <Input />
      </TextField>
      {calendars && (
        <RadioGroup value={calendarId} onChange={(v) => { setCalendarId(v); edited('calendarId'); }} isInvalid={invalid('calendarId')} className="field">
          <Label>{t('passwordConnect.calendar')}</Label>
          {calendars.map((c) => (
            <Radio key={c.id} value={c.id}>
              {c.name}
            </Radio>
          ))}
        </RadioGroup>
      )}
      {error && (
        <p role="alert" className="alert error">
          {error.message}
        </p>
      )}
      <Button type="submit" className="button primary" isDisabled={isDisabled || busy}>
        {calendars ? t('passwordConnect.useCalendar') : labels(provider).connect}
      </Button>
    </Form>
  );
}
