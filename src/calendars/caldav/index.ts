// The CalDAV calendar provider. Callers see the CalendarProvider interface only.
export { createCalDavProvider, type CalDavProviderOptions } from './provider.ts';
