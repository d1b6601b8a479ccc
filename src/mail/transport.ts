// Sends composed messages: through SMTP when a URL is configured, otherwise as RFC 5322 `.eml`
// files in an outbox folder (what `npm start` does out of the box). The SMTP URL may carry a
// password, so it never appears in a log line or in an error this module throws.
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { SendMailOptions, Transporter } from 'nodemailer';

export type MailMessage = SendMailOptions;

export interface MailTransportOptions {
  /** smtp://user:pass@host:port or smtps://…; when absent, messages go to outboxDir. */
  smtpUrl?: string;
  outboxDir: string;
  /** SMTP connections kept open and used at once; default SMTP_MAX_CONNECTIONS. */
  maxConnections?: number;
}

/**
 * SMTP connections a transport opens at most, and the itinerary-mail worker's default concurrency:
 * the two agree, so the worker's sends each have a connection and none wait in nodemailer's queue.
 */
export const SMTP_MAX_CONNECTIONS = 8;

export interface SentMail {
  messageId: string;
  /** The `.eml` file written, in outbox mode. */
  path?: string;
}

export interface MailTransport {
  send(message: MailMessage): Promise<SentMail>;
  close(): void;
}

/**
 * A failed send. `permanent` is true when the server refused THIS message for good (an SMTP 5yz
 * reply other than 503 to its envelope or content, RFC 5321 §4.2.1): retrying the same message
 * would fail the same way. Everything else may pass on a retry: connection refused, timeouts,
 * 4yz replies, a full disk, and also a refused login or TLS failure, which are our
 * configuration's fault and are fixed by the operator, after which the queued emails must go.
 */
export class MailTransportError extends Error {
  readonly code: string;
  readonly permanent: boolean;
  readonly responseCode: number | undefined;
  constructor(message: string, code: string, permanent: boolean, responseCode?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MailTransportError';
    this.code = code;
    this.permanent = permanent;
    this.responseCode = responseCode;
  }
}

export function createMailTransport(options: MailTransportOptions): MailTransport {
  return options.smtpUrl ? smtpTransport(options.smtpUrl, options.maxConnections ?? SMTP_MAX_CONNECTIONS) : outboxTransport(options.outboxDir);
}

function smtpTransport(smtpUrl: string, maxConnections: number): MailTransport {
  const secrets = secretsOf(smtpUrl);
  let transporter: Transporter;
  try {
    transporter = nodemailer.createTransport({
      url: smtpUrl,
      // Pooled: a few connections, each carrying message after message (up to maxMessages, then a
      // fresh one), instead of a new connection, greeting, TLS handshake and login per email. A
      // bulk import sent at the worker's rate would otherwise open dozens of SMTP sessions a
      // second, the flood a server throttles or refuses; with the pool it holds maxConnections.
      // Connections idle for idleTimeout are closed rather than held against the server.
      pool: true,
      maxConnections,
      maxMessages: 100,
      idleTimeout: 10_000,
      // Bounded waits: a stuck server must fail the send (and let the queue retry) rather than
      // hold it for nodemailer's default ten minutes. Settings in the URL's query win.
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: 60_000,
      logger: false,
    });
  } catch (error) {
    throw new MailTransportError(`SMTP_URL: ${redact(messageOf(error), secrets)}`, 'ECONFIG', true);
  }
  // Each message is built whole first (nodemailer's own composer, into memory), then handed to
  // the SMTP connection as one buffer. Built straight into the socket, a message went out as a
  // hundred or more small writes, each a system call that wakes the server: on a queued backlog of
  // itinerary emails one worker sent 436 a second (2.15 ms of CPU each), and 557 (1.98 ms) this way.
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  return {
    async send(message) {
      try {
        const built = await builder.sendMail(message);
        await transporter.sendMail({ envelope: built.envelope, raw: built.message as Buffer });
        return { messageId: built.messageId };
      } catch (error) {
        throw toTransportError(error, secrets);
      }
    },
    close() {
      transporter.close();
      builder.close();
    },
  };
}

function outboxTransport(outboxDir: string): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  return {
    async send(message) {
      let info;
      try {
        info = await transporter.sendMail(message);
      } catch (error) {
        throw toTransportError(error, []);
      }
      const file = path.join(outboxDir, outboxFileName(message, info.messageId));
      const temp = path.join(outboxDir, `.${path.basename(file)}.${randomUUID()}.tmp`);
      try {
        await mkdir(outboxDir, { recursive: true });
        // Written whole, then renamed: a reader of the outbox never sees half a message, and a
        // retried send of the same message replaces its file instead of adding a second one.
        await writeFile(temp, info.message as Buffer);
        await rename(temp, file);
      } catch (error) {
        await rm(temp, { force: true });
        const code = (error as NodeJS.ErrnoException).code ?? 'EFILE';
        throw new MailTransportError(`could not write to the outbox: ${messageOf(error)}`, code, false, undefined, {
          cause: error,
        });
      }
      return { messageId: info.messageId, path: file };
    },
    close() {
      transporter.close();
    },
  };
}

/**
 * `20261125T024500Z-change-<id>.eml`: sorts by the message's date, unique per Message-ID, and
 * the same for the same message (so a retry overwrites rather than duplicates).
 */
export function outboxFileName(message: MailMessage, messageId: string): string {
  const date = message.date instanceof Date ? message.date : typeof message.date === 'string' ? new Date(message.date) : new Date();
  const stamp = (Number.isNaN(date.getTime()) ? new Date() : date).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  const localPart = messageId.replace(/^<|>$/g, '').split('@')[0] ?? '';
  const safe = localPart.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '').slice(0, 120) || randomUUID();
  return `${stamp}-${safe}.eml`;
}

/** Failures of our SMTP settings or credentials rather than of the message. */
const CONFIGURATION_ERRORS = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2', 'ECONFIG', 'ETLS', 'EREQUIRETLS', 'EPROXY']);

function toTransportError(error: unknown, secrets: string[]): MailTransportError {
  const e = (error ?? {}) as { code?: unknown; responseCode?: unknown; permanent?: unknown };
  const code = typeof e.code === 'string' ? e.code : 'ESEND';
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  // A server's reply decides (nodemailer sets `permanent` from its code: 5yz but 503): a 451 to
  // RCPT TO (greylisting, a full mailbox) is EENVELOPE too, and passes on a retry. An EENVELOPE
  // without a reply is nodemailer refusing the message itself (no or an invalid address): permanent.
  const permanent = !CONFIGURATION_ERRORS.has(code) && (responseCode !== undefined ? e.permanent === true : code === 'EENVELOPE');
  // The cause is not chained: nodemailer errors can hold connection details.
  return new MailTransportError(`mail not sent (${code}): ${redact(messageOf(error), secrets)}`, code, permanent, responseCode);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What of an SMTP URL must not be shown: the URL itself and its password. */
function secretsOf(smtpUrl: string): string[] {
  const secrets = [smtpUrl];
  try {
    const url = new URL(smtpUrl);
    if (url.password) secrets.push(url.password, safeDecode(url.password));
  } catch {
    // Unparseable: only the whole string is known.
  }
  return secrets.filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}
