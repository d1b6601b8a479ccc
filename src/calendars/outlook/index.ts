// The Outlook calendar provider. Callers see the CalendarProvider interface only.
export { createOutlookProvider } from './provider.ts';
export type { OutlookProviderOptions } from './provider.ts';
export { SEGMENT_KEY_PROPERTY_ID } from './constants.ts';
export { readMicrosoftSettings } from './settings.ts';
export type { MicrosoftSettings } from './settings.ts';
