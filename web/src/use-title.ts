import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';

/** Each screen names itself in the window title (WCAG 2.4.2), in the user's language. */
export function usePageTitle(title: string | undefined): void {
  const { t } = useTranslation();
  useEffect(() => {
    document.title = title ? `${title} – ${t('app.name')}` : t('app.name');
  }, [title, t]);
}
