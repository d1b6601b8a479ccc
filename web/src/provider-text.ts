// A calendar provider's names (its row, connect button, tile, calendar) come from the provider
// registry through the API, in both languages, exactly as the product's label list gives them.
// The sentences around them come from the locales: `key` is the wording every provider shares, with
// the names as {{integration}}, {{connect}}, {{tile}} and {{calendar}}; where one provider needs its
// own prose (Microsoft Entra, tenants), `providers.<id>.<key>` replaces it. A new provider thus
// needs a registry entry, and locale keys only where the shared wording does not fit it.
import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import type { Locale, ProviderDescriptor, ProviderLabels } from './api.ts';

export function useProviderText() {
  const { t, i18n } = useTranslation();
  const locale: Locale = i18n.language === 'en' ? 'en' : 'ja';
  const labels = useCallback((provider: ProviderDescriptor): ProviderLabels => provider.labels[locale], [locale]);
  /** t() for a sentence about one provider: its own wording if the locale has one, else the shared one. */
  const tp = useCallback(
    (provider: ProviderDescriptor, key: string, values: Record<string, unknown> = {}): string =>
      t([`providers.${provider.id}.${key}`, key], { ...labels(provider), ...values }),
    [t, labels],
  );
  return { t, i18n, labels, tp };
}
