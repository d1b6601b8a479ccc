// Fixed identifiers of the Outlook provider. Changing any of them orphans events already written.

/**
 * Our MAPI named-property set. A segment's key travels with its event as a single-value extended
 * property in this set, so events can be found again when the mapping table is lost
 * (Graph: singleValueLegacyExtendedProperty, id "String {guid} Name <name>").
 */
export const PROPERTY_SET_GUID = '6d3a1f2e-7b4c-4e59-9a8d-1c2b3e4f5a60';
export const SEGMENT_KEY_PROPERTY_ID = `String {${PROPERTY_SET_GUID}} Name tripcalSegmentKey`;

/** Delegated permissions we ask for; MSAL adds openid/profile/offline_access itself, we name them anyway. */
export const GRAPH_CALENDAR_SCOPE = 'https://graph.microsoft.com/Calendars.ReadWrite';
export const SIGN_IN_SCOPES = [GRAPH_CALENDAR_SCOPE, 'offline_access', 'openid', 'profile'];
/** Sign in with Microsoft (OpenID Connect): who the user is, no resource access. */
export const LOG_IN_SCOPES = ['openid', 'profile', 'email'];
/** Tokens are acquired for the Graph scope alone (the OIDC scopes are not resource scopes). */
export const TOKEN_SCOPES = [GRAPH_CALENDAR_SCOPE];
/** What the admin-consent endpoint grants: the permissions configured on our app registration. */
export const ADMIN_CONSENT_SCOPE = 'https://graph.microsoft.com/.default';

/** JSON batching: at most 20 requests per $batch (Graph docs, "JSON batching" known issues). */
export const MAX_BATCH_REQUESTS = 20;
/** Outlook's per-app, per-mailbox concurrency limit (Graph throttling limits: 4 concurrent requests). */
export const DEFAULT_MAX_IN_FLIGHT_PER_MAILBOX = 4;
