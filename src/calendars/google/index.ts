// The Google Calendar provider. Callers see the CalendarProvider interface only.
export { createGoogleProvider } from './provider.ts';
export type { GoogleProviderOptions } from './provider.ts';
export { readGoogleSettings } from './settings.ts';
export type { GoogleSettings, ServiceAccountKey } from './settings.ts';
export { SEGMENT_KEY_PROPERTY } from './constants.ts';
