// The Outlookカレンダー連携 dialog: the three steps of the source document in order, then the
// company's status with every traveler.
import { useEffect, useState } from 'react';
import { Button, Dialog, Heading, Input, Label, Modal, ModalOverlay, Switch, TextField } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, type CompanyOutlookStatus, type ConsentLinkResponse } from '../api.ts';
import { ConnectOutlookButton } from '../components/ConnectOutlookButton.tsx';
import { OutlookNotice } from '../components/OutlookNotice.tsx';
import { ErrorMessage, Loading } from '../components/Status.tsx';
import { formatInstant } from '../format.ts';
import { reasonText } from '../reason.ts';
import { useLoad } from '../use-load.ts';

function ConsentLink() {
  const { t, i18n } = useTranslation();
  const link = useLoad<ConsentLinkResponse>(api.consentLink, []);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    if (!link.data) return;
    try {
      await navigator.clipboard.writeText(link.data.url);
    } catch {
      // Clipboard refused (an insecure origin): select the text so Ctrl+C works.
      (document.getElementById('consent-link-input') as HTMLInputElement | null)?.select();
    }
    setCopied(true);
  };
  return (
    <section aria-labelledby="approve-text" className="step">
      <h3>{t('outlookDialog.step1')}</h3>
      <p id="approve-text" className="strong">
        {t('outlookDialog.approveText')}
      </p>
      {link.error ? (
        <ErrorMessage error={link.error} onRetry={link.reload} />
      ) : (
        <div className="copy-field">
          <TextField isReadOnly value={link.data?.url ?? ''} className="field grow">
            <Label>{t('outlookDialog.linkLabel')}</Label>
            <Input id="consent-link-input" onFocus={(e) => e.currentTarget.select()} />
          </TextField>
          <Button className="button secondary" aria-label={t('outlookDialog.copyLabel')} isDisabled={!link.data} onPress={() => void copy()}>
            {t('outlookDialog.copy')}
          </Button>
          <span role="status" className="muted small">
            {copied ? t('outlookDialog.copied') : ''}
          </span>
        </div>
      )}
      {link.data && <p className="muted small">{t('outlookDialog.linkExpires', { at: formatInstant(link.data.expiresAt, i18n.language) })}</p>}
      <p className="note">{t('outlookDialog.note')}</p>
    </section>
  );
}

function CompanyStatus({ status }: { status: CompanyOutlookStatus }) {
  const { t, i18n } = useTranslation();
  return (
    <section aria-labelledby="company-status-title" className="step">
      <h3 id="company-status-title">{t('outlookDialog.statusTitle')}</h3>
      <dl className="facts">
        <div>
          <dt>{t('outlookDialog.consent')}</dt>
          <dd data-testid="consent-status">
            {t(`outlookDialog.consentState.${status.consent.status}`)}
            {status.consent.error && ` (${status.consent.error})`}
            {status.consent.tenantId && <span className="muted small"> · {t('outlookDialog.consentTenant', { tenant: status.consent.tenantId })}</span>}
            {status.consent.changedAt && <span className="muted small"> · {t('outlookDialog.consentAt', { at: formatInstant(status.consent.changedAt, i18n.language) })}</span>}
          </dd>
        </div>
        <div>
          <dt>{t('outlookDialog.connectedBy')}</dt>
          <dd data-testid="connected-by">
            {status.connectedBy ? t('outlookDialog.connectedByValue', { name: status.connectedBy.name, email: status.connectedBy.email, at: formatInstant(status.connectedBy.at, i18n.language) }) : t('outlookDialog.nobody')}
          </dd>
        </div>
        <div>
          <dt>{t('outlookDialog.loginPolicy')}</dt>
          <dd>{status.loginPolicyDays ? t('outlookDialog.loginPolicyDays', { days: status.loginPolicyDays }) : t('outlookDialog.loginPolicyOff')}</dd>
        </div>
      </dl>
      <p data-testid="traveler-counts">{t('outlookDialog.counts', status.counts)}</p>
      <table className="table" aria-labelledby="travelers-title">
        <caption id="travelers-title">{t('outlookDialog.travelers')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('outlookDialog.travelerName')}</th>
            <th scope="col">{t('outlookDialog.travelerEmail')}</th>
            <th scope="col">{t('outlookDialog.travelerStatus')}</th>
            <th scope="col">{t('outlookDialog.travelerLastLogin')}</th>
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
              <td>{tr.lastLoginAt ? formatInstant(tr.lastLoginAt, i18n.language) : t('outlookDialog.never')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function DialogBody() {
  const { t } = useTranslation();
  const status = useLoad(api.companyOutlook, []);
  const [syncError, setSyncError] = useState<string | null>(null);
  const [syncBusy, setSyncBusy] = useState(false);
  const [syncEnabled, setSyncEnabled] = useState<boolean | null>(null);

  useEffect(() => {
    if (status.data) setSyncEnabled(status.data.syncEnabled);
  }, [status.data]);

  const toggleSync = async (enabled: boolean) => {
    setSyncBusy(true);
    setSyncError(null);
    setSyncEnabled(enabled);
    try {
      await api.setCompanySync(enabled);
      status.reload();
    } catch (e) {
      setSyncEnabled(!enabled);
      setSyncError(e instanceof Error ? e.message : String(e));
    } finally {
      setSyncBusy(false);
    }
  };

  // The server turns sync on only once the consent is proven by the admin's own connection.
  const canSync = status.data?.consent.status === 'granted' && !!status.data.connectedBy;
  return (
    <>
      <ConsentLink />
      <section aria-labelledby="step2-title" className="step">
        <h3 id="step2-title">{t('outlookDialog.step2')}</h3>
        <p>{t('outlookDialog.connectHint')}</p>
        <ConnectOutlookButton start={api.connectCompanyOutlook} label={t('outlookDialog.connect')} />
      </section>
      <section aria-labelledby="step3-title" className="step">
        <h3 id="step3-title">{t('outlookDialog.step3')}</h3>
        <Switch className="switch" isSelected={syncEnabled ?? false} isDisabled={syncBusy || !status.data || (!canSync && !syncEnabled)} onChange={(v) => void toggleSync(v)}>
          <span className="track" aria-hidden="true">
            <span className="thumb" />
          </span>
          {t('outlookDialog.syncSwitch')}
        </Switch>
        <p className="muted small">{t('outlookDialog.syncHint')}</p>
        {status.data && !canSync && !syncEnabled && <p className="muted small">{t('outlookDialog.syncNeedsConnect')}</p>}
        {syncError && (
          <p role="alert" className="alert error">
            {t('app.error', { message: syncError })}
          </p>
        )}
      </section>
      {status.error ? <ErrorMessage error={status.error} onRetry={status.reload} /> : status.data ? <CompanyStatus status={status.data} /> : <Loading />}
    </>
  );
}

export function OutlookIntegrationDialog({ isOpen, onClose }: { isOpen: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <ModalOverlay isOpen={isOpen} isDismissable onOpenChange={(open) => (open ? undefined : onClose())} className="modal-overlay">
      <Modal className="modal">
        <Dialog className="dialog">
          <div className="dialog-header">
            <Heading slot="title">{t('outlookDialog.title')}</Heading>
            <Button className="button secondary small" slot="close">
              {t('app.close')}
            </Button>
          </div>
          <OutlookNotice />
          <DialogBody />
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}
