// A calendar provider's integration dialog (Outlookカレンダー連携, …): the steps of the source
// document in order (the company-wide grant where the provider has one, the admin's own
// connection, カレンダー同期), then the company's status with every traveler. Names come from the
// provider registry; sentences from the locales, with a provider's own wording where it has one.
import { useEffect, useState } from 'react';
import { Button, Dialog, Heading, Input, Label, Modal, ModalOverlay, Switch, TextField } from 'react-aria-components';
import { api, type CompanyCalendarStatus, type GrantLinkResponse, type ProviderDescriptor, type ProviderId } from '../api.ts';
import { CalendarNotice } from '../components/CalendarNotice.tsx';
import { ConnectCalendarButton } from '../components/ConnectCalendarButton.tsx';
import { ErrorMessage, Loading } from '../components/Status.tsx';
import { formatInstant } from '../format.ts';
import { useProviderText } from '../provider-text.ts';
import { reasonText } from '../reason.ts';
import { useLoad } from '../use-load.ts';

/** The dialog's own URL (a reload or an OAuth return lands on it). */
export const dialogPath = (provider: ProviderId) => `/company/settings/integrations/calendar/${encodeURIComponent(provider)}`;

function StepTitle({ id, number, title }: { id?: string; number: number; title: string }) {
  const { t } = useProviderText();
  return <h3 id={id}>{t('calendarDialog.stepTitle', { number, title })}</h3>;
}

function GrantLink({ provider, number }: { provider: ProviderDescriptor; number: number }) {
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
  return (
    <section aria-labelledby="approve-text" className="step">
      <StepTitle number={number} title={tp(provider, 'calendarDialog.grantStep')} />
      <p id="approve-text" className="strong">
        {tp(provider, 'calendarDialog.approveText')}
      </p>
      {link.error ? (
        <ErrorMessage error={link.error} onRetry={link.reload} />
      ) : (
        <div className="copy-field">
          <TextField isReadOnly value={link.data?.url ?? ''} className="field grow">
            <Label>{tp(provider, 'calendarDialog.linkLabel')}</Label>
            <Input id="grant-link-input" onFocus={(e) => e.currentTarget.select()} />
          </TextField>
          <Button className="button secondary" aria-label={tp(provider, 'calendarDialog.copyLabel')} isDisabled={!link.data} onPress={() => void copy()}>
            {tp(provider, 'calendarDialog.copy')}
          </Button>
          <span role="status" className="muted small">
            {copied ? tp(provider, 'calendarDialog.copied') : ''}
          </span>
        </div>
      )}
      {link.data && <p className="muted small">{tp(provider, 'calendarDialog.linkExpires', { at: formatInstant(link.data.expiresAt, i18n.language) })}</p>}
      <p className="note">{tp(provider, 'calendarDialog.grantNote')}</p>
    </section>
  );
}

/**
 * Delegation for the whole organisation in the provider's admin console (Google Workspace's
 * domain-wide delegation), the recommended mode where the provider has it: our client id and the
 * exact scopes to enter there, and the check on the admin's own calendar.
 */
function DelegationStep({ status, number, reload }: { status: CompanyCalendarStatus; number: number; reload: () => void }) {
  const { t, tp } = useProviderText();
  const { provider } = status;
  const delegation = status.delegation!;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const scopes = delegation.scopes.join(',');
  const copy = async (text: string, inputId: string, what: string) => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      (document.getElementById(inputId) as HTMLInputElement | null)?.select();
    }
    setCopied(what);
  };
  const check = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.checkDelegation(provider.id);
      reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="delegation-step-title" className="step">
      <StepTitle id="delegation-step-title" number={number} title={tp(provider, 'calendarDialog.delegationStep')} />
      <p>{tp(provider, 'calendarDialog.delegationText')}</p>
      <div className="copy-field">
        <TextField isReadOnly value={delegation.clientId} className="field grow">
          <Label>{tp(provider, 'calendarDialog.clientIdLabel')}</Label>
          <Input id="delegation-client-id" onFocus={(e) => e.currentTarget.select()} />
        </TextField>
        <Button className="button secondary" aria-label={tp(provider, 'calendarDialog.copyClientId')} onPress={() => void copy(delegation.clientId, 'delegation-client-id', 'clientId')}>
          {tp(provider, 'calendarDialog.copy')}
        </Button>
      </div>
      <div className="copy-field">
        <TextField isReadOnly value={scopes} className="field grow">
          <Label>{tp(provider, 'calendarDialog.scopesLabel')}</Label>
          <Input id="delegation-scopes" onFocus={(e) => e.currentTarget.select()} />
        </TextField>
        <Button className="button secondary" aria-label={tp(provider, 'calendarDialog.copyScopes')} onPress={() => void copy(scopes, 'delegation-scopes', 'scopes')}>
          {tp(provider, 'calendarDialog.copy')}
        </Button>
      </div>
      <span role="status" className="muted small">
        {copied ? tp(provider, 'calendarDialog.copied') : ''}
      </span>
      <div className="actions">
        <Button className="button primary" isDisabled={busy} onPress={() => void check()}>
          {tp(provider, 'calendarDialog.delegationCheck')}
        </Button>
      </div>
      <p data-testid="delegation-state" className={delegation.active ? 'strong' : 'muted'}>
        {delegation.active ? tp(provider, 'calendarDialog.delegationActive') : tp(provider, 'calendarDialog.delegationInactive')}
      </p>
      {error && (
        <p role="alert" className="alert error">
          {t('app.error', { message: error })}
        </p>
      )}
    </section>
  );
}

function CompanyStatus({ status }: { status: CompanyCalendarStatus }) {
  const { t, tp, i18n } = useProviderText();
  const { provider, grant } = status;
  return (
    <section aria-labelledby="company-status-title" className="step">
      <h3 id="company-status-title">{t('calendarDialog.statusTitle')}</h3>
      <dl className="facts">
        {(provider.companyGrant || status.delegation) && grant && (
          <div>
            <dt>{tp(provider, 'calendarDialog.grant')}</dt>
            <dd data-testid="grant-status">
              {t(`calendarDialog.grantState.${grant.status}`)}
              {grant.error && ` (${grant.error})`}
              {grant.organization && <span className="muted small"> · {tp(provider, 'calendarDialog.grantOrganization', { organization: grant.organization })}</span>}
              {grant.changedAt && <span className="muted small"> · {t('calendarDialog.grantAt', { at: formatInstant(grant.changedAt, i18n.language) })}</span>}
            </dd>
          </div>
        )}
        <div>
          <dt>{t('calendarDialog.connectedBy')}</dt>
          <dd data-testid="connected-by">
            {status.connectedBy ? t('calendarDialog.connectedByValue', { name: status.connectedBy.name, email: status.connectedBy.email, at: formatInstant(status.connectedBy.at, i18n.language) }) : t('calendarDialog.nobody')}
          </dd>
        </div>
        <div>
          <dt>{t('calendarDialog.loginPolicy')}</dt>
          <dd>{status.loginPolicyDays ? t('calendarDialog.loginPolicyDays', { days: status.loginPolicyDays }) : t('calendarDialog.loginPolicyOff')}</dd>
        </div>
      </dl>
      <p data-testid="traveler-counts">{t('calendarDialog.counts', status.counts)}</p>
      <table className="table" aria-labelledby="travelers-title">
        <caption id="travelers-title">{t('calendarDialog.travelers')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('calendarDialog.travelerName')}</th>
            <th scope="col">{t('calendarDialog.travelerEmail')}</th>
            <th scope="col">{t('calendarDialog.travelerStatus')}</th>
            <th scope="col">{t('calendarDialog.travelerLastLogin')}</th>
          </tr>
        </thead>
        <tbody>
          {status.travelers.map((tr) => (
            <tr key={tr.userId} data-testid={`traveler-${tr.email}`}>
              <th scope="row">{tr.name}</th>
              <td>{tr.email}</td>
              <td>
                {t(`connection.${tr.status}`)}
                {tr.reason && ` (${reasonText(t, tr.reason)})`}
              </td>
              <td>{tr.lastLoginAt ? formatInstant(tr.lastLoginAt, i18n.language) : t('calendarDialog.never')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function DialogBody({ status, reload }: { status: CompanyCalendarStatus; reload: () => void }) {
  const { t, tp, labels } = useProviderText();
  const { provider } = status;
  const [syncError, setSyncError] = useState<string | null>(null);
  const [syncBusy, setSyncBusy] = useState(false);
  const [syncEnabled, setSyncEnabled] = useState(status.syncEnabled);

  useEffect(() => setSyncEnabled(status.syncEnabled), [status.syncEnabled]);

  const toggleSync = async (enabled: boolean) => {
    setSyncBusy(true);
    setSyncError(null);
    setSyncEnabled(enabled);
    try {
      await api.setCompanySync(provider.id, enabled);
      reload();
    } catch (e) {
      setSyncEnabled(!enabled);
      setSyncError(e instanceof Error ? e.message : String(e));
    } finally {
      setSyncBusy(false);
    }
  };

  // Where the provider needs the company's grant, the server turns sync on only once the grant is
  // proven by the admin's own connection.
  const canSync = !provider.companyGrant || (status.grant?.status === 'granted' && !!status.connectedBy);
  const delegated = !!status.delegation?.active;
  // Delegation first where the provider offers it; the admin's own sign-in is then the alternative
  // (per-user sign-in), not needed once delegation is the company's mode.
  const step = provider.companyGrant || status.delegation ? 2 : 1;
  const connectTitle = provider.companyGrant ? tp(provider, 'calendarDialog.connectStepAfterGrant') : tp(provider, 'calendarDialog.connectStep');
  const connectHint = provider.companyGrant ? tp(provider, 'calendarDialog.connectHintAfterGrant') : tp(provider, 'calendarDialog.connectHint');
  return (
    <>
      {provider.companyGrant && <GrantLink provider={provider} number={1} />}
      {status.delegation && <DelegationStep status={status} number={1} reload={reload} />}
      {!delegated && (
        <section aria-labelledby="connect-step-title" className="step">
          <StepTitle id="connect-step-title" number={step} title={status.delegation ? tp(provider, 'calendarDialog.perUserStep') : connectTitle} />
          <p>{status.delegation ? tp(provider, 'calendarDialog.perUserHint') : connectHint}</p>
          <ConnectCalendarButton start={() => api.connectCompanyCalendar(provider.id)} label={labels(provider).connect} />
        </section>
      )}
      <section aria-labelledby="sync-step-title" className="step">
        <StepTitle id="sync-step-title" number={delegated ? 2 : step + 1} title={tp(provider, 'calendarDialog.syncStep')} />
        <Switch className="switch" isSelected={syncEnabled} isDisabled={syncBusy || (!canSync && !syncEnabled)} onChange={(v) => void toggleSync(v)}>
          <span className="track" aria-hidden="true">
            <span className="thumb" />
          </span>
          {tp(provider, 'calendarDialog.syncSwitch')}
        </Switch>
        <p className="muted small">{delegated ? tp(provider, 'calendarDialog.syncHintDelegated') : tp(provider, 'calendarDialog.syncHint')}</p>
        {!canSync && !syncEnabled && <p className="muted small">{tp(provider, 'calendarDialog.syncNeedsGrant')}</p>}
        {syncError && (
          <p role="alert" className="alert error">
            {t('app.error', { message: syncError })}
          </p>
        )}
      </section>
      <CompanyStatus status={status} />
    </>
  );
}

function DialogContent({ providerId }: { providerId: ProviderId }) {
  const { t, labels } = useProviderText();
  const status = useLoad(() => api.companyCalendar(providerId), [providerId]);
  const provider = status.data?.provider;
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
      {status.data ? (
        <>
          <DialogBody status={status.data} reload={status.reload} />
          {status.error ? <ErrorMessage error={status.error} onRetry={status.reload} /> : null}
        </>
      ) : status.error ? (
        <ErrorMessage error={status.error} onRetry={status.reload} />
      ) : (
        <Loading />
      )}
    </>
  );
}

/** Open while `providerId` is set (the URL /company/settings/integrations/calendar/:provider). */
export function CalendarIntegrationDialog({ providerId, onClose }: { providerId: ProviderId | undefined; onClose: () => void }) {
  return (
    <ModalOverlay isOpen={!!providerId} isDismissable onOpenChange={(open) => (open ? undefined : onClose())} className="modal-overlay">
      <Modal className="modal">
        <Dialog className="dialog">{providerId && <DialogContent key={providerId} providerId={providerId} />}</Dialog>
      </Modal>
    </ModalOverlay>
  );
}
