// HTTPS for MSAL and the Graph client, trusting an extra CA (the sandbox's) without touching
// process-wide state: one undici Agent with that CA, used as the dispatcher of every request.
import { Agent, fetch as undiciFetch } from 'undici';
import type { Dispatcher } from 'undici';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { rootCertificates } from 'node:tls';

/** undefined: Node's defaults (production, Microsoft's public endpoints). */
export function createDispatcher(caPem: string | undefined): Dispatcher | undefined {
  if (!caPem) return undefined;
  // `ca` replaces the default trust store, so the public roots stay in it beside the extra CA.
  return new Agent({ connect: { ca: [...rootCertificates, caPem] } });
}

type MsalFetch = (url: string, init: { method: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<Response>;

function fetcherFor(dispatcher: Dispatcher | undefined): MsalFetch {
  if (!dispatcher) return (url, init) => fetch(url, init);
  return (url, init) => undiciFetch(url, { ...init, dispatcher }) as unknown as Promise<Response>;
}

/**
 * MSAL's network module over fetch with our dispatcher: the same contract as MSAL's own
 * HttpClient (JSON body, lower-case headers), with a timeout on every request.
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
  return {
    sendGetRequestAsync: (url, options, timeout) => send(url, 'GET', options, timeout),
    sendPostRequestAsync: (url, options) => send(url, 'POST', options),
  };
}
