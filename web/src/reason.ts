import type { TFunction } from 'i18next';

/**
 * Why a connection lapsed or a write failed, in words. The provider's code (e.g. "AADSTS700082")
 * or ours ("obt_login_expired") is translated where the locale has `reason.<code>`; anything else
 * is shown as given. The codes live in the locales only: a new provider's need no code here.
 */
export function reasonText(t: TFunction, reason: string | undefined): string {
  if (!reason) return '';
  const known = Object.keys(t('reason', { returnObjects: true }) as Record<string, string>).find((k) => k !== 'unknown' && reason.includes(k));
  return known ? t(`reason.${known}`) : t('reason.unknown', { reason });
}
