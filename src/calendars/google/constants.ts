// Fixed identifiers of the Google provider. Changing the key property's name orphans events already written.

/** The private extended property that carries a segment's key on its event (Events: extendedProperties.private). */
export const SEGMENT_KEY_PROPERTY = 'tripcalSegmentKey';

/** The one scope we need: read and write events on the user's calendars ("Calendar API scopes"). */
export const CALENDAR_EVENTS_SCOPE = 'https://www.googleapis.com/auth/calendar.events';
/** What a traveler's own sign-in asks for: the calendar scope and who they are (OpenID Connect). */
export const SIGN_IN_SCOPES = [CALENDAR_EVENTS_SCOPE, 'openid', 'email', 'profile'];
/** What a Workspace administrator authorizes for our service account's client id (domain-wide delegation). */
export const DELEGATED_SCOPES = [CALENDAR_EVENTS_SCOPE];

/** Google's public endpoints; settings may point them elsewhere (the sandbox). */
export const GOOGLE_ACCOUNTS_URL = 'https://accounts.google.com';
export const GOOGLE_OAUTH_URL = 'https://oauth2.googleapis.com';
export const GOOGLE_API_URL = 'https://www.googleapis.com';

/** Requests in flight per calendar: a reconcile's writes go out this many at a time. */
export const DEFAULT_MAX_IN_FLIGHT_PER_CALENDAR = 4;
