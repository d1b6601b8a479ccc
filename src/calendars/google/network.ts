// HTTPS for google-auth-library and the Calendar client: gaxios transporter options whose fetch trusts
// an extra CA (the sandbox's) without touching process-wide state, and which sends requests for
// Google's fixed hosts to the hosts the settings name. The libraries take most endpoints as options
// (OAuth2Client `endpoints`, the Calendar client's `rootUrl`); the service account's JWT grant does
// not (google-auth-library posts it to https://oauth2.googleapis.com/token), so its origin is
// mapped here. Against Google the map is empty and nothing changes.
import { Agent, fetch as undiciFetch } from 'undici';
import { createSecureContext, rootCertificates } from 'node:tls';
import { GOOGLE_ACCOUNTS_URL, GOOGLE_API_URL, GOOGLE_OAUTH_URL } from './constants.ts';

export interface GoogleHosts {
  accountsUrl: string;
  oauthUrl: string;
  apiUrl: string;
}

/** Google's origin → the configured one, for the origins that differ. */
export function originMap(hosts: GoogleHosts): Map<string, string> {
  const map = new Map<string, string>();
  const pairs: Array<[string, string]> = [[GOOGLE_ACCOUNTS_URL, hosts.accountsUrl], [GOOGLE_OAUTH_URL, hosts.oauthUrl], [GOOGLE_API_URL, hosts.apiUrl]];
  for (const [google, configured] of pairs) if (google !== configured) map.set(google, configured);
  return map;
}

export function rewriteUrl(url: string, map: ReadonlyMap<string, string>): string {
  for (const [from, to] of map) if (url === from || url.startsWith(`${from}/`)) return `${to}${url.slice(from.length)}`;
  return url;
}

/** The transporter options of every auth client of the provider (token grants, Calendar API, certificates). */
export function transporterOptions(hosts: GoogleHosts, caPem: string | undefined, timeoutMs: number): { fetchImplementation: never; timeout: number } {
  const map = originMap(hosts);
  const dispatcher = caPem ? new Agent({ connect: { secureContext: createSecureContext({ ca: [...rootCertificates, caPem] }) } }) : undefined;
  const fetchImplementation = (input: string | URL | Request, init?: RequestInit) => {
    const url = rewriteUrl(typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url, map);
    return undiciFetch(url, { ...(init as object), ...(dispatcher ? { dispatcher } : {}) } as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>;
  };
  return { fetchImplementation: fetchImplementation as never, timeout: timeoutMs };
}
