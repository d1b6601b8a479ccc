// HTTPS for MSAL and the Graph client, trusting an extra CA (the sandbox's) without touching
// process-wide state: one undici Agent with that CA, used as the dispatcher of every request.
import { Agent, fetch as undiciFetch } from 'undici';
import type { Dispatcher } from 'undici';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { SecureContext } from 'node:tls';

/** The public roots and the extra CA; undefined (no extra CA): Node's defaults. */
export function trustWith(caPem: string | undefined): SecureContext | undefined {
  if (!caPem) return undefined;
  // `ca` replaces the default trust store, so the public roots stay in it beside the extra CA.
  // One secure context for every connection: given `ca` alone, each new TLS connection parsed the
  // ~150 roots again (5% of the product's CPU in a backfill, `npm run bench` profile).
  return createSecureContext({ ca: [...rootCertificates, caPem] });
}

/** undefined: Node's defaults (production, Microsoft's public endpoints). */
export function createDispatcher(secureContext: SecureContext | undefined): Dispatcher | undefined {
  return secureContext ? new Agent({ connect: { secureContext } }) : undefined;
}

type MsalFetch = (url: string, init: { method: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<Response>;

function fetcherFor(dispatcher: Dispatcher | undefined): MsalFetch {
  if (!dispatcher) return (url, init) => fetch(url, init);
  return (url, init) => undiciFetch(url, { ...init, dispatcher }) as unknown as Promise<Response>;
}

/** How long identity metadata (OpenID configuration, instance discovery) is reused. */
const METADATA_TTL_MS = 60 * 60_000;

/**
 * MSAL's network module over fetch with our dispatcher: the same contract as MSAL's own
 * HttpClient (JSON body, lower-case headers), with a timeout on every request.
 *
 * Make ONE per provider. MSAL sends GET only for identity metadata (the authority's OpenID
 * configuration, instance discovery), and each ConfidentialClientApplication, one per mailbox
 * reconcile, fetched it again: 50 travelers turning sync on meant 50 metadata round trips before
 * their first calendar write. Successful GET answers are kept for an hour and shared, in flight
 * too. Token requests are POSTs and are never kept.
 */
export function createMsalNetworkClient(dispatcher: Dispatcher | undefined, timeoutMs = 30_000): INetworkModule {
  const doFetch = fetcherFor(dispatcher);
  async function send<T>(url: string, method: 'GET' | 'POST', options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    const signal = AbortSignal.timeout(timeout ?? timeoutMs);
    const response = await doFetch(url, {
      method,
      headers: options?.headers ?? {},
      ...(method === 'POST' ? { body: options?.body ?? '' } : {}),
      signal,
    });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      headers[key.toLowerCase()] = value;
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      // MSAL maps non-JSON answers (a proxy's HTML error page) by status; never echo the text.
      body = {};
    }
    return { headers, body: body as T, status: response.status };
  }
  const metadata = new Map<string, { at: number; answer: Promise<NetworkResponse<unknown>> }>();
  function getMetadata<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    const now = Date.now();
    const kept = metadata.get(url);
    if (kept && now - kept.at < METADATA_TTL_MS) return kept.answer as Promise<NetworkResponse<T>>;
    const answer = send<T>(url, 'GET', options, timeout);
    metadata.set(url, { at: now, answer });
    // Only a success is kept: a failure or an error page is asked again next time.
    answer.then((r) => r.status !== 200 && metadata.delete(url), () => metadata.delete(url));
    return answer;
  }
  return {
    sendGetRequestAsync: (url, options, timeout) => getMetadata(url, options, timeout),
    sendPostRequestAsync: (url, options) => send(url, 'POST', options),
  };
}
