import type { TFunction } from 'i18next';

/**
 * Why a connection lapsed or a write failed, as a sentence. The provider's code (e.g.
 * "AADSTS700082") or ours ("obt_login_expired") is translated where the locale has
 * `reason.<code>`; anything else is "the connection ended (<code>)", or with `asGiven` the code
 * itself (a write's error, which ended nothing). The codes live in the locales only: a new
 * provider's need no code here.
 */
export function reasonText(t: TFunction, reason: string | undefined, asGiven = false): string {
  if (!reason) return '';
  const known = Object.keys(t('reason', { returnObjects: true }) as Record<string, string>).find((k) => k !== 'unknown' && reason.includes(k));
  if (known) return t(`reason.${known}`);
  return asGiven ? reason : t('reason.unknown', { reason });
}
