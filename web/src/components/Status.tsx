import { Button } from 'react-aria-components';
import { useTranslation } from 'react-i18next';

export function Loading() {
  const { t } = useTranslation();
  return (
    <p role="status" className="muted">
      {t('app.loading')}
    </p>
  );
}

export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div role="alert" className="alert error">
      <p>{t('app.error', { message })}</p>
      {onRetry && (
        <Button className="button secondary" onPress={onRetry}>
          {t('app.retry')}
        </Button>
      )}
    </div>
  );
}
