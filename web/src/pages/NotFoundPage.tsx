import { Link } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { usePageTitle } from '../use-title.ts';

export function NotFoundPage({ forbidden = false }: { forbidden?: boolean }) {
  const { t } = useTranslation();
  usePageTitle(forbidden ? t('app.forbiddenTitle') : t('app.notFoundTitle'));
  return (
    <section>
      <h1>{forbidden ? t('app.forbiddenTitle') : t('app.notFoundTitle')}</h1>
      <p>{forbidden ? t('app.forbiddenText') : t('app.notFoundText')}</p>
      <Link href="/">{t('app.backHome')}</Link>
    </section>
  );
}
