// A real SMTP server on a free local port that keeps every message it accepts, for tests that
// send through nodemailer's SMTP client over TCP and read back what arrived.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: Buffer;
}

export interface SmtpSink {
  port: number;
  received: ReceivedMail[];
  /** Recipients answered 451 (try again later), in order. */
  deferred: string[];
  /** The most client connections that were open at once. */
  maxOpenConnections: number;
  /** smtp://user:pass@127.0.0.1:port */
  url(): string;
  close(): Promise<void>;
}

export async function startSmtpSink(
  credentials: { user: string; pass: string },
  options: {
    rejectRecipients?: string[];
    /** These recipients are answered 451 the first time (greylisting), then accepted. */
    deferRecipientsOnce?: string[];
    /** Runs once a message is received (given its recipients), before the server answers that it is accepted. */
    beforeAccept?: (to: string[]) => Promise<void>;
  } = {},
): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const deferred: string[] = [];
  let open = 0;
  let maxOpenConnections = 0;
  const server = new SMTPServer({
    // Plain TCP on loopback: no STARTTLS offered, so the client does not try to upgrade.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onConnect(_session, callback) {
      open++;
      maxOpenConnections = Math.max(maxOpenConnections, open);
      callback();
    },
    onClose() {
      open--;
    },
    onAuth(auth, _session, callback) {
      if (auth.username === credentials.user && auth.password === credentials.pass) {
        callback(null, { user: auth.username });
      } else {
        callback(new Error('Invalid username or password'));
      }
    },
    onRcptTo(address, _session, callback) {
      if (options.rejectRecipients?.includes(address.address)) {
        const error = new Error('5.1.1 No such user') as Error & { responseCode: number };
        error.responseCode = 550;
        callback(error);
      } else if (options.deferRecipientsOnce?.includes(address.address) && !deferred.includes(address.address)) {
        deferred.push(address.address);
        const error = new Error('4.7.1 Greylisted, try again later') as Error & { responseCode: number };
        error.responseCode = 451;
        callback(error);
      } else {
        callback();
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to, raw: Buffer.concat(chunks) });
        if (!options.beforeAccept) return callback();
        options.beforeAccept(to).then(() => callback(), (error: Error) => callback(error));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    deferred,
    get maxOpenConnections() {
      return maxOpenConnections;
    },
    url: () =>
      `smtp://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.pass)}@127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
