// A calendar provider's integration dialog (Outlookカレンダー連携, …): the steps of the source
// document in order (the company-wide grant where the provider has one, or the delegation for the
// whole organisation where the provider offers it, the admin's own connection, カレンダー同期), each saying whether it is done, by whom and when, and which one
// comes next; beside them the company's travelers and their states. Names come from the provider
// registry; sentences from the locales, with a provider's own wording where it has one. Every
// change is reported to the page behind (`onStatus`), so its row never shows an old state.
import { useEffect, useState, type ReactNode } from 'react';
import { Button, Dialog, Heading, Input, Label, Modal, ModalOverlay, Switch, TextField } from 'react-aria-components';
import { api, type CompanyCalendarStatus, type GrantLinkResponse, type ProviderDescriptor, type ProviderId } from '../api.ts';
import { CalendarNotice } from '../components/CalendarNotice.tsx';
import { ConnectCalendarButton } from '../components/ConnectCalendarButton.tsx';
import { OperatorAlarm } from '../components/OperatorAlarm.tsx';
import { ErrorMessage, Loading } from '../components/Status.tsx';
import { formatInstant } from '../format.ts';
import { useProviderText } from '../provider-text.ts';
import { reasonText } from '../reason.ts';
import { useLoad } from '../use-load.ts';

/** The dialog's own URL (a reload or an OAuth return lands on it). */
export const dialogPath = (provider: ProviderId) => `/company/settings/integrations/calendar/${encodeURIComponent(provider)}`;

type StepState = 'done' | 'next' | 'checking' | 'waiting';

/**
 * Whether the provider's redirect reported a grant that the admin's own connection has not proven
 * yet: the provider's administrator has done their part, and the next step confirms it.
 */
export function grantClaimed(status: CompanyCalendarStatus): boolean {
  return !!status.grant && status.grant.status !== 'granted' && !!status.grant.claimed;
}

/** A step: its number and title, whether it is done (and by whom, when), then what it holds. */
function Step({ id, number, title, state, status, statusTestId, children }: { id: string; number: number; title: string; state: StepState; status: ReactNode; statusTestId?: string; children: ReactNode }) {
  const { t } = useProviderText();
  return (
    <section aria-labelledby={`${id}-title`} className={`step step-${state}`} data-testid={`step-${id}`}>
      <div className="step-head">
        <span className="step-mark" aria-hidden="true">
          {state === 'done' ? '✓' : number}
        </span>
        <div>
          <h3 id={`${id}-title`}>{t('calendarDialog.stepTitle', { number, title })}</h3>
          <p className="step-status" data-testid={statusTestId}>
            <span className={`badge ${state === 'done' ? 'ok' : state === 'next' ? 'next' : state === 'checking' ? 'warn' : ''}`}>{t(`calendarDialog.stepState.${state}`)}</span> {status}
          </p>
        </div>
      </div>
      <div className="step-body">{children}</div>
    </section>
  );
}

function GrantLinkField({ provider, primary }: { provider: ProviderDescriptor; primary: boolean }) {
  const { tp, i18n } = useProviderText();
  const link = useLoad<GrantLinkResponse>(() => api.grantLink(provider.id), [provider.id]);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    if (!link.data) return;
    try {
      await navigator.clipboard.writeText(link.data.url);
    } catch {
      // Clipboard refused (an insecure origin): select the text so Ctrl+C works.
      (document.getElementById('grant-link-input') as HTMLInputElement | null)?.select();
    }
    setCopied(true);
  };
  if (link.error) return <ErrorMessage error={link.error} onRetry={link.reload} />;
  return (
    <>
      <div className="copy-field">
        <TextField isReadOnly value={link.data?.url ?? ''} className="field grow">
          <Label>{tp(provider, 'calendarDialog.linkLabel')}</Label>
          <Input id="grant-link-input" onFocus={(e) => e.currentTarget.select()} />
        </TextField>
        <Button className={`button ${primary ? 'primary' : 'secondary'}`} aria-label={tp(provider, 'calendarDialog.copyLabel')} isDisabled={!link.data} onPress={() => void copy()}>
          {tp(provider, 'calendarDialog.copy')}
        </Button>
        <span role="status" className="muted small">
          {copied ? tp(provider, 'calendarDialog.copied') : ''}
        </span>
      </div>
      {link.data && <p className="muted small">{tp(provider, 'calendarDialog.linkExpires', { at: formatInstant(link.data.expiresAt, i18n.language) })}</p>}
    </>
  );
}

function GrantStep({ status, number }: { status: CompanyCalendarStatus; number: number }) {
  const { t, tp, i18n } = useProviderText();
  const { provider } = status;
  const grant = status.grant ?? { status: 'none' as const };
  const done = grant.status === 'granted';
  const claimed = grantClaimed(status);
  const at = grant.changedAt ? formatInstant(grant.changedAt, i18n.language) : '';
  return (
    <Step
      id="grant-step"
      number={number}
      title={tp(provider, 'calendarDialog.grantStep')}
      state={done ? 'done' : claimed ? 'checking' : 'next'}
      statusTestId="grant-status"
      status={
        <>
          <span>{t(`calendarDialog.grantState.${grant.status}`)}</span>
          {at && <span className="muted"> · {at}</span>}
        </>
      }
    >
      {claimed && <p className="next-hint">{tp(provider, 'calendarDialog.grantClaimed')}</p>}
      {/* The region the source document names: the text for the Entra administrator and the link. */}
      <section aria-labelledby="approve-text" className="grant-link">
        <p id="approve-text" className="strong">
          {tp(provider, 'calendarDialog.approveText')}
        </p>
        {done || claimed ? (
          <details className="detail">
            <summary>{tp(provider, 'calendarDialog.showLink')}</summary>
            <GrantLinkField provider={provider} primary={false} />
          </details>
        ) : (
          <>
            <p className="next-hint">{tp(provider, 'calendarDialog.grantFirst')}</p>
            <GrantLinkField provider={provider} primary />
            <p className="note">{tp(provider, 'calendarDialog.grantNote')}</p>
          </>
        )}
      </section>
      {(grant.organization || grant.error) && (
        <details className="detail">
          <summary>{t('notice.detail')}</summary>
          {grant.organization && <p>{tp(provider, 'calendarDialog.grantOrganization', { organization: grant.organization })}</p>}
          {grant.error && <p>{grant.error}</p>}
        </details>
      )}
    </Step>
  );
}

/**
 * Delegation for the whole organisation in the provider's admin console (Google Workspace's
 * domain-wide delegation), the recommended mode where the provider has it: our client id and the
 * exact scopes to enter there, and the check on the admin's own calendar.
 */
function DelegationStep({ status, number, onStatus }: { status: CompanyCalendarStatus; number: number; onStatus: (s: CompanyCalendarStatus) => void }) {
  const { t, tp } = useProviderText();
  const { provider, grant } = status;
  const delegation = status.delegation!;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const scopes = delegation.scopes.join(',');
  const copy = async (text: string, inputId: string) => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Clipboard refused (an insecure origin): select the text so Ctrl+C works.
      (document.getElementById(inputId) as HTMLInputElement | null)?.select();
    }
    setCopied(true);
  };
  const check = async () => {
    setBusy(true);
    setError(null);
    try {
      onStatus(await api.checkDelegation(provider.id));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Step
      id="delegation-step"
      number={number}
      title={tp(provider, 'calendarDialog.delegationStep')}
      state={delegation.active ? 'done' : 'next'}
      statusTestId="delegation-state"
      status={
        delegation.active ? (
          <>
            {tp(provider, 'calendarDialog.delegationActive')}
            {grant?.organization && <span className="muted"> · {tp(provider, 'calendarDialog.grantOrganization', { organization: grant.organization })}</span>}
          </>
        ) : (
          tp(provider, 'calendarDialog.delegationInactive')
        )
      }
    >
      <p>{tp(provider, 'calendarDialog.delegationText')}</p>
      <div className="copy-field">
        <TextField isReadOnly value={delegation.clientId} className="field grow">
          <Label>{tp(provider, 'calendarDialog.clientIdLabel')}</Label>
          <Input id="delegation-client-id" onFocus={(e) => e.currentTarget.select()} />
        </TextField>
        <Button className="button secondary" aria-label={tp(provider, 'calendarDialog.copyClientId')} onPress={() => void copy(delegation.clientId, 'delegation-client-id')}>
          {tp(provider, 'calendarDialog.copy')}
        </Button>
      </div>
      <div className="copy-field">
        <TextField isReadOnly value={scopes} className="field grow">
          <Label>{tp(provider, 'calendarDialog.scopesLabel')}</Label>
          <Input id="delegation-scopes" onFocus={(e) => e.currentTarget.select()} />
        </TextField>
        <Button className="button secondary" aria-label={tp(provider, 'calendarDialog.copyScopes')} onPress={() => void copy(scopes, 'delegation-scopes')}>
          {tp(provider, 'calendarDialog.copy')}
        </Button>
      </div>
      <span role="status" className="muted small">
        {copied ? tp(provider, 'calendarDialog.copied') : ''}
      </span>
      <div className="actions">
        <Button className={`button ${delegation.active ? 'secondary' : 'primary'}`} isDisabled={busy} onPress={() => void check()}>
          {tp(provider, 'calendarDialog.delegationCheck')}
        </Button>
      </div>
      {error && (
        <p role="alert" className="alert error">
          {t('app.error', { message: error })}
        </p>
      )}
    </Step>
  );
}

function DialogBody({ status, onStatus }: { status: CompanyCalendarStatus; onStatus: (s: CompanyCalendarStatus) => void }) {
  const { t, tp, labels, i18n } = useProviderText();
  const { provider } = status;
  const [syncError, setSyncError] = useState<string | null>(null);
  const [syncBusy, setSyncBusy] = useState(false);
  const [syncEnabled, setSyncEnabled] = useState(status.syncEnabled);
  const [syncDone, setSyncDone] = useState<'on' | 'off' | null>(null);

  useEffect(() => setSyncEnabled(status.syncEnabled), [status.syncEnabled]);

  const toggleSync = async (enabled: boolean) => {
    setSyncBusy(true);
    setSyncError(null);
    setSyncDone(null);
    setSyncEnabled(enabled);
    try {
      onStatus(await api.setCompanySync(provider.id, enabled));
      setSyncDone(enabled ? 'on' : 'off');
    } catch (e) {
      setSyncEnabled(!enabled);
      setSyncError(e instanceof Error ? e.message : String(e));
    } finally {
      setSyncBusy(false);
    }
  };

  const granted = !provider.companyGrant || status.grant?.status === 'granted' || grantClaimed(status);
  // Where the provider needs the company's grant, the server turns sync on only once the grant is
  // proven by the admin's own connection.
  // A provider connected with a form (CalDAV: each traveler's own server, address and password)
  // has no company-wide account for the admin to prove: sync is the only step.
  const formConnect = provider.connectMethod === 'password';
  const canSync = (!provider.companyGrant || status.grant?.status === 'granted') && (formConnect || !!status.connectedBy);
  // Where the provider offers delegation, it comes first; the admin's own sign-in is then the
  // alternative (per-user sign-in), and not needed once delegation is the company's mode.
  const delegated = !!status.delegation?.active;
  const first = provider.companyGrant || status.delegation ? 2 : 1;
  const connectTitle = provider.companyGrant ? tp(provider, 'calendarDialog.connectStepAfterGrant') : status.delegation ? tp(provider, 'calendarDialog.perUserStep') : tp(provider, 'calendarDialog.connectStep');
  const connectHint = provider.companyGrant ? tp(provider, 'calendarDialog.connectHintAfterGrant') : status.delegation ? tp(provider, 'calendarDialog.perUserHint') : tp(provider, 'calendarDialog.connectHint');
  const by = status.connectedBy;
  return (
    <div className="dialog-grid">
      <OperatorAlarm status={status} />
      <div className="dialog-steps">
        {provider.companyGrant && <GrantStep status={status} number={1} />}
        {status.delegation && <DelegationStep status={status} number={1} onStatus={onStatus} />}
        {!delegated && !formConnect && (
          <Step
            id="connect-step"
            number={first}
            title={connectTitle}
            state={by ? 'done' : granted ? 'next' : 'waiting'}
            statusTestId="connected-by"
            status={by ? t('calendarDialog.connectedByValue', { name: by.name, email: by.email, at: formatInstant(by.at, i18n.language) }) : t('calendarDialog.nobody')}
          >
            <p>{connectHint}</p>
            {!granted && <p className="muted small">{tp(provider, 'calendarDialog.connectAfterGrant')}</p>}
            <ConnectCalendarButton start={() => api.connectCompanyCalendar(provider.id)} label={labels(provider).connect} className={`button ${granted && !by ? 'primary' : 'secondary'}`} />
          </Step>
        )}
        <Step
          id="sync-step"
          number={delegated ? 2 : formConnect ? first : first + 1}
          title={tp(provider, 'calendarDialog.syncStep')}
          state={syncEnabled ? 'done' : canSync ? 'next' : 'waiting'}
          status={syncEnabled ? t('integrations.syncOn') : t('integrations.syncOff')}
        >
          <Switch className="switch" isSelected={syncEnabled} isDisabled={syncBusy || (!canSync && !syncEnabled)} onChange={(v) => void toggleSync(v)}>
            <span className="track" aria-hidden="true">
              <span className="thumb" />
            </span>
            {tp(provider, 'calendarDialog.syncSwitch')}
          </Switch>
          <p className="muted small">{delegated ? tp(provider, 'calendarDialog.syncHintDelegated') : tp(provider, 'calendarDialog.syncHint')}</p>
          {!canSync && !syncEnabled && <p className="muted small">{tp(provider, 'calendarDialog.syncNeedsGrant')}</p>}
          <p role="status" className={syncDone ? 'alert ok' : 'visually-hidden'} data-testid="sync-confirmation">
            {syncDone === 'on' && delegated ? tp(provider, 'calendarDialog.syncOnDoneDelegated') : syncDone === 'on' ? tp(provider, 'calendarDialog.syncOnDone', { travelers: status.travelers.length }) : syncDone === 'off' ? tp(provider, 'calendarDialog.syncOffDone') : ''}
          </p>
          {syncError && (
            <p role="alert" className="alert error">
              {t('app.error', { message: syncError })}
            </p>
          )}
        </Step>
      </div>
      <CompanyStatus status={status} />
    </div>
  );
}

function CompanyStatus({ status }: { status: CompanyCalendarStatus }) {
  const { t, i18n } = useProviderText();
  return (
    <section aria-labelledby="company-status-title" className="company-status">
      <h3 id="company-status-title">{t('calendarDialog.statusTitle')}</h3>
      <p data-testid="traveler-counts" className="counts">
        {t('calendarDialog.counts', status.counts)}{' '}
        <span data-testid="company-policy-count">{t('calendarDialog.companyPolicyCount', { companyPolicy: status.counts.companyPolicy })}</span>
      </p>
      <p className="muted small">
        {t('calendarDialog.loginPolicy')}: {status.loginPolicyDays ? t('calendarDialog.loginPolicyDays', { days: status.loginPolicyDays }) : t('calendarDialog.loginPolicyOff')}
      </p>
      <div className="table-scroll" role="region" aria-labelledby="travelers-title" tabIndex={0}>
        <table className="table travelers-table" aria-labelledby="travelers-title">
          <caption id="travelers-title">{t('calendarDialog.travelers')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('calendarDialog.travelerName')}</th>
              <th scope="col">{t('calendarDialog.travelerStatus')}</th>
              <th scope="col">{t('calendarDialog.travelerLastLogin')}</th>
            </tr>
          </thead>
          <tbody>
            {status.travelers.map((tr) => (
              <tr key={tr.userId} data-testid={`traveler-${tr.email}`}>
                <th scope="row">
                  {tr.name}
                  <span className="muted small block">{tr.email}</span>
                </th>
                <td>
                  <span className={`badge ${tr.status === 'connected' ? 'ok' : tr.status === 'lapsed' || tr.status === 'revoked' ? 'warn' : ''}`}>{t(`connection.${tr.status}`)}</span>
                  {tr.reason && tr.status !== 'connected' && <span className="small block">{reasonText(t, tr.reason)}</span>}
                </td>
                <td>{tr.lastLoginAt ? formatInstant(tr.lastLoginAt, i18n.language) : t('calendarDialog.never')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function DialogContent({ providerId, onStatus }: { providerId: ProviderId; onStatus: (s: CompanyCalendarStatus) => void }) {
  const { t, labels } = useProviderText();
  const loaded = useLoad(() => api.companyCalendar(providerId), [providerId]);
  const [latest, setLatest] = useState<CompanyCalendarStatus | null>(null);
  const status = latest ?? loaded.data;
  const provider = status?.provider;
  const report = (s: CompanyCalendarStatus) => {
    setLatest(s);
    onStatus(s);
  };
  return (
    <>
      <div className="dialog-header">
        {/* The provider's name once known; an id the registry lacks shows the page's name and the error. */}
        <Heading slot="title">{provider ? labels(provider).integration : t('integrations.title')}</Heading>
        <Button className="button secondary small" slot="close">
          {t('app.close')}
        </Button>
      </div>
      {provider && <CalendarNotice provider={provider} />}
      {status ? (
        <>
          <DialogBody status={status} onStatus={report} />
          {loaded.error ? <ErrorMessage error={loaded.error} onRetry={loaded.reload} /> : null}
        </>
      ) : loaded.error ? (
        <ErrorMessage error={loaded.error} onRetry={loaded.reload} />
      ) : (
        <Loading />
      )}
    </>
  );
}

/** Open while `providerId` is set (the URL /company/settings/integrations/calendar/:provider). */
export function CalendarIntegrationDialog({ providerId, onClose, onStatus }: { providerId: ProviderId | undefined; onClose: () => void; onStatus: (s: CompanyCalendarStatus) => void }) {
  return (
    <ModalOverlay isOpen={!!providerId} isDismissable onOpenChange={(open) => (open ? undefined : onClose())} className="modal-overlay">
      <Modal className="modal">
        <Dialog className="dialog">{providerId && <DialogContent key={providerId} providerId={providerId} onStatus={onStatus} />}</Dialog>
      </Modal>
    </ModalOverlay>
  );
}
