import type { TFunction } from 'i18next';

const KNOWN = ['AADSTS700082', 'AADSTS50173', 'AADSTS65001', 'interaction_required', 'obt_login_expired'];

/** Why a connection lapsed, in words: known codes translated, anything else shown as given. */
export function reasonText(t: TFunction, reason: string | undefined): string {
  if (!reason) return '';
  const known = KNOWN.find((k) => reason.includes(k));
  return known ? t(`reason.${known}`) : t('reason.unknown', { reason });
}
