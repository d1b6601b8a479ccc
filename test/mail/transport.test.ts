import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { createMailTransport, MailTransportError } from '../../src/mail/transport.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';

const PASSWORD = 'p@ss:w/rd-s3cret';

function message(id: string) {
  return {
    from: { name: 'tripcal', address: 'itinerary@tripcal.example' },
    to: { name: 'Hanako Sato', address: 'hanako@example.co.jp' },
    subject: '旅程のご案内',
    text: 'こんにちは',
    messageId: `<change-${id}@tripcal.example>`,
    date: new Date('2026-11-25T02:45:00Z'),
  };
}

describe('SMTP transport', () => {
  let sink: SmtpSink;
  before(async () => {
    sink = await startSmtpSink({ user: 'mailer', pass: PASSWORD }, { rejectRecipients: ['gone@example.co.jp'], deferRecipientsOnce: ['later@example.co.jp'] });
  });
  after(async () => {
    await sink.close();
  });

  test('delivers the message to the SMTP server, authenticated with the URL credentials', async () => {
    const transport = createMailTransport({ smtpUrl: sink.url(), outboxDir: '/nonexistent' });
    try {
      const sent = await transport.send(message('smtp-1'));
      assert.equal(sent.messageId, '<change-smtp-1@tripcal.example>');
      assert.equal(sent.path, undefined);
      const got = sink.received.at(-1)!;
      assert.deepEqual(got.to, ['hanako@example.co.jp']);
      const parsed = await simpleParser(got.raw);
      assert.equal(parsed.subject, '旅程のご案内');
      assert.equal(parsed.messageId, '<change-smtp-1@tripcal.example>');
      assert.equal(parsed.text?.trim(), 'こんにちは');
    } finally {
      transport.close();
    }
  });

  test('a refused login fails as a retryable error (the operator fixes the password) that does not show it', async () => {
    const url = sink.url().replace(encodeURIComponent(PASSWORD), encodeURIComponent(`${PASSWORD}-wrong`));
    const transport = createMailTransport({ smtpUrl: url, outboxDir: '/nonexistent' });
    try {
      const error = await transport.send(message('smtp-2')).then(
        () => assert.fail('expected the send to fail'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof MailTransportError);
      assert.equal(error.code, 'EAUTH');
      assert.equal(error.permanent, false);
      assert.ok(!error.message.includes(PASSWORD), error.message);
      assert.ok(!error.message.includes(encodeURIComponent(PASSWORD)), error.message);
      assert.ok(!String(error.stack).includes(PASSWORD));
    } finally {
      transport.close();
    }
  });

  test('a recipient the server refuses for good (550) fails as a permanent error', async () => {
    const transport = createMailTransport({ smtpUrl: sink.url(), outboxDir: '/nonexistent' });
    try {
      const error = await transport
        .send({ ...message('smtp-4'), to: 'gone@example.co.jp' })
        .then(
          () => assert.fail('expected the send to fail'),
          (e: unknown) => e,
        );
      assert.ok(error instanceof MailTransportError);
      assert.equal(error.code, 'EENVELOPE');
      assert.equal(error.permanent, true);
      assert.equal(error.responseCode, 550);
      assert.ok(!error.message.includes(PASSWORD), error.message);
    } finally {
      transport.close();
    }
  });

  test('a recipient the server defers (451, greylisting) fails as a retryable error, and the retry delivers', async () => {
    const transport = createMailTransport({ smtpUrl: sink.url(), outboxDir: '/nonexistent' });
    try {
      const error = await transport
        .send({ ...message('smtp-5'), to: 'later@example.co.jp' })
        .then(
          () => assert.fail('expected the send to fail'),
          (e: unknown) => e,
        );
      assert.ok(error instanceof MailTransportError);
      assert.equal(error.code, 'EENVELOPE');
      assert.equal(error.responseCode, 451);
      assert.equal(error.permanent, false);
      await transport.send({ ...message('smtp-5'), to: 'later@example.co.jp' });
      assert.deepEqual(sink.received.at(-1)!.to, ['later@example.co.jp']);
    } finally {
      transport.close();
    }
  });

  test('a message without a valid recipient is refused for good before it reaches the server', async () => {
    const transport = createMailTransport({ smtpUrl: sink.url(), outboxDir: '/nonexistent' });
    try {
      const error = await transport.send({ ...message('smtp-6'), to: [] }).then(
        () => assert.fail('expected the send to fail'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof MailTransportError);
      assert.equal(error.code, 'EENVELOPE');
      assert.equal(error.permanent, true);
    } finally {
      transport.close();
    }
  });

  test('an unreachable server fails as a retryable error that does not show the password', async () => {
    const closed = await startSmtpSink({ user: 'x', pass: 'y' });
    const port = closed.port;
    await closed.close();
    const transport = createMailTransport({
      smtpUrl: `smtp://mailer:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`,
      outboxDir: '/nonexistent',
    });
    try {
      const error = await transport.send(message('smtp-3')).then(
        () => assert.fail('expected the send to fail'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof MailTransportError);
      assert.equal(error.permanent, false);
      assert.ok(!error.message.includes(PASSWORD), error.message);
    } finally {
      transport.close();
    }
  });
});

describe('outbox transport (no SMTP_URL)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tripcal-outbox-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('writes a parseable .eml named by date and change, creating the folder', async () => {
    const outboxDir = path.join(dir, 'data', 'outbox');
    const transport = createMailTransport({ outboxDir });
    const sent = await transport.send(message('c0ffee'));
    transport.close();
    assert.equal(sent.path, path.join(outboxDir, '20261125T024500Z-change-c0ffee.eml'));
    const raw = await readFile(sent.path!);
    assert.match(raw.toString('latin1'), /\r\n/, 'RFC 5322 line ends are CRLF');
    const parsed = await simpleParser(raw);
    assert.equal(parsed.subject, '旅程のご案内');
    assert.equal(parsed.messageId, '<change-c0ffee@tripcal.example>');
  });

  test('sending the same message again replaces its file and leaves no temporary file', async () => {
    const outboxDir = path.join(dir, 'retry');
    const transport = createMailTransport({ outboxDir });
    await transport.send(message('again'));
    await transport.send(message('again'));
    await transport.send(message('other'));
    transport.close();
    assert.deepEqual((await readdir(outboxDir)).sort(), [
      '20261125T024500Z-change-again.eml',
      '20261125T024500Z-change-other.eml',
    ]);
  });
});
