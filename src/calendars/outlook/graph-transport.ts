// The Graph client for one mailbox: bearer tokens from the token source, the extra CA through the
// fetch dispatcher, our host named in customHosts (the client attaches Authorization only to Graph
// hosts and those), and one operation: POST /v1.0/$batch.
import { Client, RetryHandlerOptions } from '@microsoft/microsoft-graph-client';
import type { FetchOptions } from '@microsoft/microsoft-graph-client';
import type { Dispatcher } from 'undici';
import type { BatchItemRequest, BatchItemResponse } from './paced-batches.ts';
import type { TokenSource } from './msal-session.ts';

export interface GraphSettings {
  /** "https://graph.microsoft.com" or "https://localhost:PORT", no trailing slash. */
  graphUrl: string;
  dispatcher: Dispatcher | undefined;
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
  const client = Client.initWithMiddleware({
    authProvider: {
      getAccessToken: async () => {
        try {
          return await tokens.get();
        } catch (e) {
          tokenFailure = e;
          throw e;
        }
      },
    },
    baseUrl: `${settings.graphUrl}/`,
    defaultVersion: 'v1.0',
    ...(GRAPH_HOSTS.has(hostname) ? {} : { customHosts: new Set([hostname]) }),
    // `dispatcher` is undici's extension of RequestInit, passed on to Node's fetch as is.
    ...(settings.dispatcher ? { fetchOptions: { dispatcher: settings.dispatcher } as unknown as FetchOptions } : {}),
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
          ...(r.body !== undefined ? { body: r.body, headers: { 'Content-Type': 'application/json', ...(r.headers ?? {}) } } : r.headers ? { headers: r.headers } : {}),
          ...(r.dependsOn ? { dependsOn: r.dependsOn } : {}),
        })),
      };
      tokenFailure = undefined;
      let answer: { responses?: BatchItemResponse[] } | undefined;
      try {
        answer = (await client
          .api('/$batch')
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
