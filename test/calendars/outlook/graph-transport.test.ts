// The Graph client's requests go out through our connections (connections.ts, graph-transport.ts):
// HTTP/2 where the host speaks it, HTTP/1.1 where not. The client's own middleware still follows
// redirects, and must not carry the access token to another host.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { loadOrCreateTls } from '../../../sandbox/tls-material.ts';
import { HttpsConnections } from '../../../src/calendars/outlook/connections.ts';
import { createGraphTransport } from '../../../src/calendars/outlook/graph-transport.ts';
import { createDispatcher, trustWith } from '../../../src/calendars/outlook/network.ts';

// The sandbox's certificate (localhost and 127.0.0.1): the client sends its token over HTTPS only.
const tls = loadOrCreateTls(mkdtempSync(path.join(os.tmpdir(), 'tripcal-transport-')));
const secureContext = trustWith(tls.caPem);
const newConnections = () => new HttpsConnections({ secureContext, dispatcher: createDispatcher(secureContext) });

function listen(server: Server | Http2SecureServer, host: string): Promise<number> {
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));
}

type Handler = (req: Http2ServerRequest, res: Http2ServerResponse) => void;

/** An HTTP/2 server (HTTP/1.1 too) counting its TLS connections and the streams open on each. */
async function h2Server(maxConcurrentStreams: number, handler: Handler) {
  const sessions: Http2Session[] = [];
  let mostStreamsAtOnce = 0;
  const open = new Map<Http2Session, number>();
  const server = createSecureServer({ key: tls.keyPem, cert: tls.certPem, allowHTTP1: true, settings: { maxConcurrentStreams } }, (req, res) => {
    const session = req.stream.session!;
    open.set(session, (open.get(session) ?? 0) + 1);
    mostStreamsAtOnce = Math.max(mostStreamsAtOnce, open.get(session)!);
    req.stream.once('close', () => open.set(session, open.get(session)! - 1));
    handler(req, res);
  });
  server.on('session', (s: Http2Session) => sessions.push(s));
  const port = await listen(server, '127.0.0.1');
  return {
    url: `https://localhost:${port}`,
    sessions,
    mostStreamsAtOnce: () => mostStreamsAtOnce,
    close: () => {
      for (const s of sessions) s.destroy();
      server.close();
    },
  };
}

const ok = (res: Http2ServerResponse | ServerResponse, body: unknown) => {
  (res as ServerResponse).writeHead(200, { 'content-type': 'application/json' });
  (res as ServerResponse).end(JSON.stringify(body));
};

describe('Graph transport', () => {
  const seen: Array<{ server: string; http: string; authorization: string | undefined }> = [];
  let graph: Awaited<ReturnType<typeof h2Server>>;
  let elsewhere: Server;
  let elsewherePort: number;
  const record = (name: string, req: IncomingMessage | Http2ServerRequest) => seen.push({ server: name, http: req.httpVersion, authorization: req.headers.authorization });

  before(async () => {
    // Another host that speaks only HTTP/1.1.
    elsewhere = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
      record('elsewhere', req);
      req.resume();
      ok(res, { responses: [{ id: '1', status: 204 }] });
    });
    elsewherePort = await listen(elsewhere, '127.0.0.1');
    graph = await h2Server(100, (req, res) => {
      record('graph', req);
      req.resume();
      if (req.url?.startsWith('/v1.0/$batch')) {
        // A redirect to another host: the client follows it, without the Authorization header.
        res.writeHead(307, { location: `https://127.0.0.1:${elsewherePort}/v1.0/$batch` }).end();
        return;
      }
      res.writeHead(404).end();
    });
  });
  after(() => {
    graph.close();
    elsewhere.closeAllConnections();
    elsewhere.close();
  });

  test('a redirect to another host is followed without the access token, over HTTP/2 then HTTP/1.1', async () => {
    const connections = newConnections();
    const tokens = { get: async () => 'secret-access-token', refresh: async () => {}, forget: async () => {} };
    const transport = createGraphTransport({ graphUrl: graph.url, connections }, tokens);
    const responses = await transport.sendBatch([{ id: '1', method: 'DELETE', url: '/me/events/x' }]);
    assert.deepEqual(responses, [{ id: '1', status: 204 }]);
    assert.deepEqual(seen, [
      { server: 'graph', http: '2.0', authorization: 'Bearer secret-access-token' },
      { server: 'elsewhere', http: '1.1', authorization: undefined },
    ]);
    connections.close();
  });
});

describe('HTTP/2 connections', () => {
  let server: Awaited<ReturnType<typeof h2Server>> | undefined;
  let connections: HttpsConnections | undefined;
  afterEach(() => {
    connections?.close();
    server?.close();
  });

  test('requests beyond the host\'s stream limit open another connection, never more streams than it allows', async () => {
    server = await h2Server(10, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      // Held long enough for all 30 to be in flight at once.
      req.on('end', () => setTimeout(() => ok(res, { echo: Buffer.concat(chunks).toString() }), 150));
    });
    connections = newConnections();
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => connections!.send(`${server!.url}/v1.0/$batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `request ${i}` })),
    );
    assert.deepEqual(
      answers.map((a) => [a.status, JSON.parse(a.text).echo]),
      Array.from({ length: 30 }, (_, i) => [200, `request ${i}`]),
    );
    assert.equal(server.sessions.length, 3, 'three connections of 10 streams');
    assert.equal(server.mostStreamsAtOnce(), 10);
  });

  test('warming opens the connections that announced requests will need, before they are sent', async () => {
    server = await h2Server(10, (req, res) => {
      req.resume();
      ok(res, { path: req.url });
    });
    connections = newConnections();
    connections.warm(`${server.url}/v1.0/$batch`, 25);
    const deadline = Date.now() + 5000;
    while (server.sessions.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(server.sessions.length, 3, 'three connections of 10 streams for 25 requests, with no request sent yet');
    const answers = await Promise.all(Array.from({ length: 25 }, (_, i) => connections!.send(`${server!.url}/r${i}`, { method: 'GET', headers: {}, body: null })));
    assert.deepEqual(answers.map((a) => JSON.parse(a.text).path), Array.from({ length: 25 }, (_, i) => `/r${i}`));
    assert.equal(server.sessions.length, 3, 'the requests used the warmed connections');
    // Warming again for what the open connections can carry opens nothing more.
    connections.warm(`${server.url}/v1.0/$batch`, 10);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.sessions.length, 3);
  });

  test('the host may send answers in flight up to 1 MB per stream and 16 MB per connection, not HTTP/2\'s 64 KB', async () => {
    server = await h2Server(100, (req, res) => {
      req.resume();
      ok(res, { pad: 'x'.repeat(200_000) });
    });
    connections = newConnections();
    const answer = await connections.send(`${server.url}/big`, { method: 'GET', headers: {}, body: null });
    assert.equal(JSON.parse(answer.text).pad.length, 200_000);
    const session = server.sessions[0]!;
    assert.equal(session.remoteSettings.initialWindowSize, 1 << 20);
    assert.ok(session.state.remoteWindowSize! > 15 << 20, `connection window ${session.state.remoteWindowSize}`);
  });

  test('a stream the host resets fails alone; the connection\'s other requests are answered', async () => {
    server = await h2Server(100, (req, res) => {
      req.resume();
      if (req.url === '/drop') req.stream.close(0x2); // INTERNAL_ERROR
      else setTimeout(() => ok(res, { path: req.url }), 50);
    });
    connections = newConnections();
    const results = await Promise.allSettled(['/a', '/drop', '/b'].map((p) => connections!.send(`${server!.url}${p}`, { method: 'GET', headers: {}, body: null })));
    assert.equal(results[0]!.status, 'fulfilled');
    assert.equal(results[2]!.status, 'fulfilled');
    assert.equal(results[1]!.status, 'rejected');
    assert.match(String((results[1] as PromiseRejectedResult).reason), /INTERNAL_ERROR/);
    assert.equal(server.sessions.length, 1);
  });

  test('after the host closes the connection (GOAWAY), the next request opens a new one', async () => {
    server = await h2Server(100, (req, res) => {
      req.resume();
      ok(res, { path: req.url });
    });
    connections = newConnections();
    const first = await connections.send(`${server.url}/one`, { method: 'GET', headers: {}, body: null });
    assert.equal(first.status, 200);
    server.sessions[0]!.close(); // GOAWAY, then the connection ends
    await new Promise((r) => setTimeout(r, 50));
    const second = await connections.send(`${server.url}/two`, { method: 'GET', headers: {}, body: null });
    assert.equal(JSON.parse(second.text).path, '/two');
    assert.equal(server.sessions.length, 2);
  });

  test('an aborted request ends with the abort, and its stream is cancelled', async () => {
    let cancelled = false;
    server = await h2Server(100, (req) => {
      req.resume();
      req.stream.once('close', () => (cancelled = true));
      // Never answers.
    });
    connections = newConnections();
    await assert.rejects(
      connections.send(`${server.url}/slow`, { method: 'GET', headers: {}, body: null, signal: AbortSignal.timeout(100) }),
      (e: Error) => e.name === 'TimeoutError' || e.name === 'AbortError',
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(cancelled, true);
  });
});
