// i18next with the two locales the product speaks. The language follows the signed-in user's
// setting (Me.locale); before log-in, the last choice on this browser, else the browser's language.
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './locales/en.json';
import ja from './locales/ja.json';
import type { Locale } from './api.ts';

export const LOCALES: Locale[] = ['ja', 'en'];
const STORAGE_KEY = 'tripcal.locale';

declare global {
  interface Window {
    /** Keys asked for that a locale lacks; the browser tests fail when this is not empty. */
    __i18nMissing?: string[];
  }
}

export function initialLocale(): Locale {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(STORAGE_KEY) : null;
  if (saved === 'ja' || saved === 'en') return saved;
  return navigator.language.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

export function applyLocale(locale: Locale): void {
  localStorage.setItem(STORAGE_KEY, locale);
  document.documentElement.lang = locale;
  if (i18n.language !== locale) void i18n.changeLanguage(locale);
}

window.__i18nMissing = [];

void i18n.use(initReactI18next).init({
  resources: { ja: { translation: ja }, en: { translation: en } },
  lng: initialLocale(),
  // No fallback language: a key missing in one locale must show up, not be papered over.
  fallbackLng: false,
  supportedLngs: LOCALES,
  interpolation: { escapeValue: false },
  returnNull: false,
  saveMissing: true,
  missingKeyHandler: (lngs, _ns, key) => {
    window.__i18nMissing!.push(`${lngs.join(',')}:${key}`);
    console.error(`i18n: missing key '${key}' in ${lngs.join(',')}`);
  },
});
document.documentElement.lang = i18n.language;

export default i18n;
