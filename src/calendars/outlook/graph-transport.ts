// The Graph client for one mailbox: bearer tokens from the token source, requests through the
// provider's HttpsConnections (HTTP/2, the extra CA), our host named in customHosts (the client
// attaches Authorization only to Graph hosts and those), and one operation: POST /v1.0/$batch.
// Every request, the $batch and each of its items, asks for immutable ids (constants.ts).
import { Client, MiddlewareFactory, RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import type { AuthenticationProvider, Context, Middleware } from '@microsoft/microsoft-graph-client';
import type { HttpsConnections } from './connections.ts';
import { PREFER_IMMUTABLE_IDS } from './constants.ts';
import type { BatchItemRequest, BatchItemResponse } from './paced-batches.ts';
import type { TokenSource } from './msal-session.ts';

export interface GraphSettings {
  /** "https://graph.microsoft.com" or "https://localhost:PORT", no trailing slash. */
  graphUrl: string;
  /** The process's connections (one set per provider): HTTP/2 where the host speaks it. */
  connections: HttpsConnections;
  /** Per $batch request (20 items of Exchange work at most); default 120 s. */
  timeoutMs?: number;
}

export interface GraphTransport {
  sendBatch(requests: BatchItemRequest[]): Promise<BatchItemResponse[]>;
}

const GRAPH_HOSTS = new Set(['graph.microsoft.com', 'graph.microsoft.us', 'dod-graph.microsoft.us', 'microsoftgraph.chinacloudapi.cn']);

export function createGraphTransport(settings: GraphSettings, tokens: TokenSource): GraphTransport {
  const hostname = new URL(settings.graphUrl).hostname;
  // The client wraps an authProvider failure into GraphError(-1), which reads like a network
  // failure; keep the token source's own error (auth_lost, consent_missing) to throw instead.
  let tokenFailure: unknown;
  const authProvider: AuthenticationProvider = {
    getAccessToken: async () => {
      try {
        return await tokens.get();
      } catch (e) {
        tokenFailure = e;
        throw e;
      }
    },
  };
  // The client's own chain (authentication, retry, redirect, telemetry), ending in our
  // connections instead of fetch (see HttpsRequestHandler).
  const middleware = MiddlewareFactory.getDefaultMiddlewareChain(authProvider);
  middleware[middleware.length - 1] = new HttpsRequestHandler(settings.connections);
  const client = Client.initWithMiddleware({
    middleware,
    baseUrl: `${settings.graphUrl}/`,
    defaultVersion: 'v1.0',
    ...(GRAPH_HOSTS.has(hostname) ? {} : { customHosts: new Set([hostname]) }),
  });
  // Our retry policy (retry-policy.ts) decides every retry, for the $batch and for its items alike.
  const noClientRetries = new RetryHandlerOptions(0, 0);
  return {
    async sendBatch(requests) {
      const body = {
        requests: requests.map((r) => ({
          id: r.id,
          method: r.method,
          url: r.url,
          ...(r.body !== undefined ? { body: r.body } : {}),
          headers: { Prefer: PREFER_IMMUTABLE_IDS, ...(r.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...(r.headers ?? {}) },
          ...(r.dependsOn ? { dependsOn: r.dependsOn } : {}),
        })),
      };
      tokenFailure = undefined;
      let answer: { responses?: BatchItemResponse[] } | undefined;
      try {
        answer = (await client
          .api('/$batch')
          .header('Prefer', PREFER_IMMUTABLE_IDS)
          .middlewareOptions([noClientRetries])
          // A hung connection must end as a temporary failure, not hang the sync job.
          .options({ signal: AbortSignal.timeout(settings.timeoutMs ?? 120_000) } as unknown as Record<string, string>)
          .post(body)) as typeof answer;
      } catch (e) {
        throw tokenFailure ?? e;
      }
      return Array.isArray(answer?.responses) ? answer.responses : [];
    },
  };
}

/**
 * The last link of the Graph client's middleware chain, in place of its HTTPMessageHandler (which
 * calls fetch): the same request, sent through HttpsConnections (HTTP/2 where the host speaks it;
 * see connections.ts). fetch also wraps every answer in WHATWG streams; a sync worker writing 2,000
 * travelers' events spent about 0.8 ms of CPU per $batch in it (`npm run bench` profile), more than
 * in anything of ours. The answer handed back has what the client reads of a Response (answerOf),
 * over the body read once.
 */
class HttpsRequestHandler implements Middleware {
  readonly #connections: HttpsConnections;

  constructor(connections: HttpsConnections) {
    this.#connections = connections;
  }

  async execute(context: Context): Promise<void> {
    const init = context.options ?? {};
    const headers: Record<string, string> = {};
    new Headers(init.headers as HeadersInit | undefined).forEach((value, key) => {
      headers[key] = value;
    });
    const url = String(context.request);
    const answer = await this.#connections.send(url, {
      method: init.method ?? 'GET',
      headers,
      body: (init.body ?? null) as string | null,
      ...(init.signal ? { signal: init.signal } : {}),
    });
    // url: the client's RedirectHandler compares it with a redirect's Location and drops the
    // Authorization header when the host changes; without it the token would follow the redirect.
    context.response = answerOf(url, answer.status, answer.headers, answer.text);
  }
}

/** What the Graph client reads of a fetch Response: status, ok, headers, url, text() and json(). */
function answerOf(url: string, status: number, headers: Headers, text: string): Response {
  const answer = {
    url,
    status,
    statusText: '',
    ok: status >= 200 && status < 300,
    headers,
    body: null,
    text: async () => text,
    json: async () => JSON.parse(text) as unknown,
  };
  return answer as unknown as Response;
}
