// The Graph client's requests go out through our undici link (graph-transport.ts); the client's
// own middleware still follows redirects, and must not carry the access token to another host.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadOrCreateTls } from '../../../sandbox/tls-material.ts';
import { createGraphTransport } from '../../../src/calendars/outlook/graph-transport.ts';
import { createDispatcher } from '../../../src/calendars/outlook/network.ts';

// The sandbox's certificate (localhost and 127.0.0.1): the client sends its token over HTTPS only.
const tls = loadOrCreateTls(mkdtempSync(path.join(os.tmpdir(), 'tripcal-transport-')));

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));
}

describe('Graph transport', () => {
  const seen: Array<{ server: string; authorization: string | undefined }> = [];
  let graph: Server;
  let elsewhere: Server;
  let graphPort: number;
  let elsewherePort: number;
  const answer = (name: string, headers: IncomingHttpHeaders) => seen.push({ server: name, authorization: headers.authorization });

  before(async () => {
    elsewhere = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
      answer('elsewhere', req.headers);
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ responses: [{ id: '1', status: 204 }] }));
    });
    graph = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
      answer('graph', req.headers);
      req.resume();
      if (req.url?.startsWith('/v1.0/$batch')) {
        // A redirect to another host: the client follows it, without the Authorization header.
        res.writeHead(307, { location: `https://127.0.0.1:${elsewherePort}/v1.0/$batch` }).end();
        return;
      }
      res.writeHead(404).end();
    });
    elsewherePort = await listen(elsewhere, '127.0.0.1');
    graphPort = await listen(graph, 'localhost');
  });
  after(() => {
    graph.closeAllConnections();
    elsewhere.closeAllConnections();
    graph.close();
    elsewhere.close();
  });

  test('a redirect to another host is followed without the access token', async () => {
    const tokens = { get: async () => 'secret-access-token', refresh: async () => {}, forget: async () => {} };
    const transport = createGraphTransport({ graphUrl: `https://localhost:${graphPort}`, dispatcher: createDispatcher(tls.caPem) }, tokens);
    const responses = await transport.sendBatch([{ id: '1', method: 'DELETE', url: '/me/events/x' }]);
    assert.deepEqual(responses, [{ id: '1', status: 204 }]);
    assert.deepEqual(seen, [
      { server: 'graph', authorization: 'Bearer secret-access-token' },
      { server: 'elsewhere', authorization: undefined },
    ]);
  });
});
