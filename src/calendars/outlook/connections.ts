// HTTPS requests to Graph over HTTP/2 where the host speaks it, over HTTP/1.1 (undici) where not.
//
// Why: over HTTP/1.1 every request in flight needs a connection of its own. A backfill has 4 serial
// chains in flight per mailbox, so 50 mailboxes opened 200 TLS connections at once, about 1.5 ms of
// client CPU each, before the last mailbox's first request left (`npm run bench`). One
// HTTP/2 connection carries them all: in a measurement of 200 concurrent $batch POSTs the client
// spent 64-85 ms of CPU over HTTP/2 against 284-306 ms over fresh HTTP/1.1 connections. Graph has
// answered HTTP/2 since 2023.
//
// node:http2 is used directly. undici's own HTTP/2 (allowH2) opened one connection per request
// when uncapped and, capped to one connection, held 200 concurrent POSTs for minutes (undici
// 7.30, same measurement).
//
// The protocol is chosen by ALPN on the first connection to a host. A host, or a TLS-terminating
// proxy in front of it, that answers only HTTP/1.1 is remembered as such for a while and served by
// undici; nothing else changes for the caller.
import { connect as h2connect, constants as h2 } from 'node:http2';
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import type { SecureContext, TLSSocket } from 'node:tls';
import { request, type Dispatcher } from 'undici';

export interface HttpRequest {
  method: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string | null;
  signal?: AbortSignal;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
}

export interface HttpsConnectionsOptions {
  /** Trust beyond the public roots (the sandbox's CA); undefined: Node's defaults. */
  secureContext: SecureContext | undefined;
  /** For hosts that answer only HTTP/1.1. */
  dispatcher: Dispatcher | undefined;
  /** An HTTP/2 connection with no request for this long is closed. Default 60 s. */
  idleMs?: number;
  /** How long a host found to speak only HTTP/1.1 is not asked again. Default 10 min. */
  http1RememberMs?: number;
  /** HTTP/2 connections per host at most, opened as the host's stream limit is reached. Default 8. */
  maxSessionsPerHost?: number;
  /** For the TLS handshake and the host's first SETTINGS. Default 10 s. */
  connectTimeoutMs?: number;
}

/** Headers that HTTP/2 forbids (RFC 9113 §8.2.2) or carries as pseudo-headers. */
const NOT_IN_HTTP2 = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'te']);

interface Session {
  session: ClientHttp2Session;
  inFlight: number;
  /** The host's SETTINGS_MAX_CONCURRENT_STREAMS, known once its SETTINGS arrive. */
  limit: number;
}

interface Host {
  sessions: Session[];
  /** Connections being opened; requests wait for them rather than open more. */
  openings: Set<Promise<Session | 'http/1.1'>>;
  /** Streams announced by warm() and not yet taken, each group until it lapses. */
  expected: Array<{ streams: number; until: number }>;
  /** Requests waiting for a free stream on a connection at its limit. */
  waiting: Array<() => void>;
  http1Until: number;
}

const STREAM_WINDOW = 1 << 20;
const CONNECTION_WINDOW = 16 << 20;
/** Streams a connection is counted for while it opens, before its SETTINGS say (RFC 9113's advice). */
const ASSUMED_STREAM_LIMIT = 100;
/** A connection closing (idle, GOAWAY) or gone takes no new stream. */
const usable = (s: Session): boolean => !s.session.closed && !s.session.destroyed;

/** How long streams announced by warm() are counted on if no request takes them. */
const WARM_MS = 1_000;

export class HttpsConnections {
  readonly #opts: Required<Omit<HttpsConnectionsOptions, 'secureContext' | 'dispatcher'>> & HttpsConnectionsOptions;
  readonly #hosts = new Map<string, Host>();
  #closed = false;

  constructor(options: HttpsConnectionsOptions) {
    this.#opts = { idleMs: 60_000, http1RememberMs: 10 * 60_000, maxSessionsPerHost: 8, connectTimeoutMs: 10_000, ...options };
  }

  async send(url: string, req: HttpRequest): Promise<HttpAnswer> {
    const target = new URL(url);
    if (target.protocol !== 'https:') throw new Error(`only https:// is sent (${target.protocol})`);
    if (this.#closed) throw new Error('connections closed');
    req.signal?.throwIfAborted();
    const lane = await this.#lane(target.origin, req.signal);
    if (lane === 'http/1.1') return this.#sendHttp1(url, req);
    try {
      return await this.#sendHttp2(lane, target, req);
    } finally {
      this.#release(target.origin, lane);
    }
  }

  /**
   * Announces about `streams` requests to `url`'s host soon (a mailbox about to write): opens the
   * connections they will need now, so that the TLS handshake and the host's SETTINGS are done by
   * the time they are sent. Announced streams that no request takes are forgotten after a second.
   * Never fails: an opening that fails here is tried again by the first request.
   */
  warm(url: string, streams: number): void {
    const target = new URL(url);
    if (target.protocol !== 'https:' || this.#closed) return;
    const host = this.#host(target.origin);
    if (host.http1Until > Date.now()) return;
    host.expected.push({ streams, until: Date.now() + WARM_MS });
    this.#grow(target.origin, host);
  }

  /** Opens connections until those open or opening can carry the announced streams. */
  #grow(origin: string, host: Host): void {
    if (host.http1Until > Date.now()) return;
    const live = host.sessions.filter(usable);
    let capacity = live.reduce((sum, s) => sum + Math.max(0, s.limit - s.inFlight), 0) + host.openings.size * ASSUMED_STREAM_LIMIT;
    const demand = this.#expected(host);
    while (capacity < demand && host.sessions.length + host.openings.size < this.#opts.maxSessionsPerHost) {
      this.#startOpening(origin, host);
      capacity += ASSUMED_STREAM_LIMIT;
    }
  }

  /** Closes every HTTP/2 connection (requests in flight fail); a connection still opening is closed when it opens. */
  close(): void {
    this.#closed = true;
    for (const host of this.#hosts.values()) for (const s of host.sessions) s.session.destroy();
    this.#hosts.clear();
  }

  #host(origin: string): Host {
    let host = this.#hosts.get(origin);
    if (!host) {
      host = { sessions: [], openings: new Set(), expected: [], waiting: [], http1Until: 0 };
      this.#hosts.set(origin, host);
    }
    return host;
  }

  /** A connection with a free stream (counted as taken), or 'http/1.1'. */
  async #lane(origin: string, signal: AbortSignal | undefined): Promise<Session | 'http/1.1'> {
    const host = this.#host(origin);
    for (;;) {
      if (host.http1Until > Date.now()) return 'http/1.1';
      // A closing connection leaves the list on 'close'; until then it is skipped.
      const free = host.sessions.find((s) => s.inFlight < s.limit && usable(s));
      if (free) {
        free.inFlight++;
        free.session.ref();
        this.#takeExpected(host);
        return free;
      }
      if (!host.openings.size && host.sessions.length < this.#opts.maxSessionsPerHost) this.#startOpening(origin, host);
      if (host.openings.size) {
        // The opener's failure (refused, TLS) is everyone's who waited for it. An HTTP/1.1-only
        // host is remembered by #open and answered at the top of the loop.
        await Promise.race(host.openings);
        continue;
      }
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          host.waiting = host.waiting.filter((w) => w !== wake);
          reject(signal!.reason);
        };
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        host.waiting.push(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  #startOpening(origin: string, host: Host): void {
    const opening = this.#open(origin, host);
    host.openings.add(opening);
    const done = () => {
      host.openings.delete(opening);
      // Whoever waited for a stream may take one now, or open a connection itself.
      for (const wake of host.waiting.splice(0)) wake();
    };
    opening.then(
      () => {
        done();
        // The host's SETTINGS may carry fewer streams than assumed while it opened.
        this.#grow(origin, host);
      },
      done,
    );
  }

  /** Streams announced and not yet taken, lapsed groups dropped. */
  #expected(host: Host): number {
    const now = Date.now();
    host.expected = host.expected.filter((e) => e.until > now && e.streams > 0);
    return host.expected.reduce((sum, e) => sum + e.streams, 0);
  }

  #takeExpected(host: Host): void {
    if (this.#expected(host) > 0) host.expected[0]!.streams--;
  }

  #release(origin: string, s: Session): void {
    s.inFlight--;
    if (s.inFlight === 0) s.session.unref();
    this.#hosts.get(origin)?.waiting.shift()?.();
  }

  #drop(origin: string, s: Session): void {
    const host = this.#hosts.get(origin);
    if (!host) return;
    host.sessions = host.sessions.filter((x) => x !== s);
    // Whoever waited for a stream on it may now open a connection instead.
    for (const wake of host.waiting.splice(0)) wake();
  }

  /** Opens a TLS connection offering h2 and http/1.1; keeps it as an HTTP/2 session if h2 was chosen. */
  async #open(origin: string, host: Host): Promise<Session | 'http/1.1'> {
    const { hostname, port } = new URL(origin);
    const socket = await new Promise<TLSSocket>((resolve, reject) => {
      const sock = tlsConnect({
        host: hostname,
        port: Number(port || 443),
        ...(/^[\d.]+$|:/.test(hostname) ? {} : { servername: hostname }),
        ALPNProtocols: ['h2', 'http/1.1'],
        ...(this.#opts.secureContext ? { secureContext: this.#opts.secureContext } : {}),
      });
      sock.setTimeout(this.#opts.connectTimeoutMs, () => sock.destroy(new Error(`no TLS connection to ${origin} within ${this.#opts.connectTimeoutMs} ms`)));
      sock.once('secureConnect', () => {
        sock.removeListener('error', reject);
        sock.setTimeout(0);
        resolve(sock);
      });
      sock.once('error', reject);
    });
    if (this.#closed) {
      socket.destroy();
      throw new Error('connections closed');
    }
    if (socket.alpnProtocol !== 'h2') {
      socket.destroy();
      host.http1Until = Date.now() + this.#opts.http1RememberMs;
      return 'http/1.1';
    }
    // Flow-control credit: HTTP/2's default is 64 KB per stream and for the whole connection, so
    // 100 answers of ~20 KB in flight over a 20 ms round trip would arrive at 64 KB per round trip
    // (0.6 s for 2 MB). Browsers give 6 MB per stream and 15 MB per connection.
    const session = h2connect(origin, { createConnection: () => socket, settings: { initialWindowSize: STREAM_WINDOW } });
    session.setLocalWindowSize(CONNECTION_WINDOW);
    const s: Session = { session, inFlight: 0, limit: 1 };
    // The host's SETTINGS (its stream limit) come with its first bytes; nothing is sent before.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => session.destroy(new Error(`no HTTP/2 SETTINGS from ${origin} within ${this.#opts.connectTimeoutMs} ms`)), this.#opts.connectTimeoutMs);
      session.once('remoteSettings', (settings) => {
        clearTimeout(timer);
        session.removeListener('error', reject);
        s.limit = Math.max(1, settings.maxConcurrentStreams ?? ASSUMED_STREAM_LIMIT);
        resolve();
      });
      session.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    session.on('remoteSettings', (settings) => {
      s.limit = Math.max(1, settings.maxConcurrentStreams ?? s.limit);
    });
    // Errors reach each stream's caller; the session's own error must not crash the process.
    session.on('error', () => {});
    session.once('goaway', () => this.#drop(origin, s));
    session.once('close', () => this.#drop(origin, s));
    session.setTimeout(this.#opts.idleMs, () => {
      if (s.inFlight === 0) session.close();
    });
    session.unref();
    if (this.#closed) {
      session.destroy();
      throw new Error('connections closed');
    }
    host.sessions.push(s);
    return s;
  }

  #sendHttp2(s: Session, target: URL, req: HttpRequest): Promise<HttpAnswer> {
    const headers: OutgoingHttpHeaders = { ':method': req.method, ':path': `${target.pathname}${target.search}` };
    for (const [k, v] of Object.entries(req.headers)) if (!NOT_IN_HTTP2.has(k)) headers[k] = v;
    return new Promise<HttpAnswer>((resolve, reject) => {
      let stream: ClientHttp2Stream;
      try {
        stream = s.session.request(headers, req.signal ? { signal: req.signal } : {});
      } catch (e) {
        reject(e as Error);
        return;
      }
      let answerHeaders: IncomingHttpHeaders | undefined;
      const chunks: Buffer[] = [];
      stream.on('response', (h) => {
        answerHeaders = h;
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (!answerHeaders) {
          reject(new Error(`HTTP/2 stream ended without an answer (code ${stream.rstCode ?? 'none'})`));
          return;
        }
        const out = new Headers();
        for (const [k, v] of Object.entries(answerHeaders)) {
          if (k.startsWith(':')) continue;
          for (const one of Array.isArray(v) ? v : v === undefined ? [] : [String(v)]) out.append(k, one);
        }
        resolve({ status: Number(answerHeaders[':status']), headers: out, text: Buffer.concat(chunks).toString('utf8') });
      });
      stream.on('error', reject);
      stream.on('close', () => {
        // A reset stream (the host's or a dropped connection's) closes without 'end'.
        if (stream.rstCode !== undefined && stream.rstCode !== h2.NGHTTP2_NO_ERROR) reject(new Error(`HTTP/2 stream reset (code ${stream.rstCode})`));
        else if (!stream.readableEnded) reject(new Error('HTTP/2 stream closed before its answer ended'));
      });
      stream.end(req.body ?? undefined);
    });
  }

  async #sendHttp1(url: string, req: HttpRequest): Promise<HttpAnswer> {
    const answer = await request(url, {
      method: req.method as Dispatcher.HttpMethod,
      headers: req.headers,
      body: req.body,
      ...(req.signal ? { signal: req.signal } : {}),
      ...(this.#opts.dispatcher ? { dispatcher: this.#opts.dispatcher } : {}),
    });
    const text = await answer.body.text();
    const headers = new Headers();
    for (const [key, value] of Object.entries(answer.headers)) {
      for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(key, v);
    }
    return { status: answer.statusCode, headers, text };
  }
}
