// Gaps the Outlook adapter found: every Windows time zone, $batch dependsOn shapes, observable
// concurrency (request timings, peak per mailbox) and answers lost after the write happened.
import assert from "node:assert/strict";
import http2 from "node:http2";
import * as tls from "node:tls";
import { after, before, beforeEach, describe, it } from "node:test";
import { resolveTimeZone, windowsTimeZoneNames } from "../graph/timezones.ts";
import { SAKURA_TRADING } from "../seed.ts";
import { CryptoProvider } from "@azure/msal-node";
import { connectWithMsal, GRAPH_CALENDAR_SCOPES, msalApp, REDIRECT_URI, redirectParams, signIn, startTestSandbox } from "./helpers.ts";
import type { TestSandbox } from "./helpers.ts";

const EMILY = "emily.clark@sakura-trading.example";
const EMILY_ID = SAKURA_TRADING.users[3]!.id;

function event(subject: string, timeZone = "Tokyo Standard Time", extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subject,
    start: { dateTime: "2026-12-01T10:00:00", timeZone },
    end: { dateTime: "2026-12-01T12:00:00", timeZone },
    showAs: "tentative",
    ...extra,
  };
}

describe("Graph fidelity: time zones, $batch shapes, concurrency, lost answers", () => {
  let sb: TestSandbox;
  let token: string;
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${sb.url}/v1.0${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const batch = (requests: unknown[]) => call("POST", "/$batch", { requests });
  const create = (id: string, body: Record<string, unknown>, dependsOn?: string[]) => ({
    id,
    method: "POST",
    url: "/me/events",
    headers: { "Content-Type": "application/json" },
    body,
    ...(dependsOn ? { dependsOn } : {}),
  });

  before(async () => {
    sb = await startTestSandbox();
    sb.control.grantConsent(SAKURA_TRADING.id);
    token = (await connectWithMsal(sb, EMILY)).result.accessToken;
  });
  after(async () => sb.stop());
  beforeEach(() => {
    sb.control.clearMailbox(EMILY);
    sb.control.clearFaults();
    sb.control.setLatency(0);
    sb.control.clearRequestLog();
  });

  describe("time zones", () => {
    it("knows every Windows zone of CLDR's mapping, and no made-up names", () => {
      const names = windowsTimeZoneNames();
      assert.ok(names.length >= 139, `${names.length} Windows zones`);
      for (const n of names) assert.ok(resolveTimeZone(n), n);
      for (const bad of ["Hawaii-Aleutian Standard Time", "Coordinated Universal Time", "Tokyo", "Mars Standard Time"]) {
        assert.equal(resolveTimeZone(bad), null, bad);
      }
    });

    it("accepts Windows names beyond the common ones, and the documented IANA names", async () => {
      const zones = [
        "E. Africa Standard Time",
        "Argentina Standard Time",
        "SA Western Standard Time",
        "Morocco Standard Time",
        "Aleutian Standard Time",
        "UTC-11",
        "Europe/Kyiv",
        "Europe/Kiev",
        "Asia/Kolkata",
      ];
      for (const zone of zones) {
        const res = await call("POST", "/me/events", event(`in ${zone}`, zone));
        assert.equal(res.status, 201, `${zone}: ${await res.clone().text()}`);
        const created = (await res.json()) as Record<string, any>;
        assert.equal(created.originalStartTimeZone, zone);
      }
      // Argentina: UTC-3 all year, so 10:00 there is 13:00 UTC; and Prefer shows it back in that zone.
      const ar = sb.control.mailboxEvents(EMILY).find((e) => e.subject === "in Argentina Standard Time")!;
      const plain = (await (await call("GET", `/me/events/${encodeURIComponent(ar.id)}`)).json()) as Record<string, any>;
      assert.deepEqual(plain.start, { dateTime: "2026-12-01T13:00:00.0000000", timeZone: "UTC" });
      const local = (await (await call("GET", `/me/events/${encodeURIComponent(ar.id)}`, undefined, { prefer: 'outlook.timezone="Argentina Standard Time"' })).json()) as Record<string, any>;
      assert.deepEqual(local.start, { dateTime: "2026-12-01T10:00:00.0000000", timeZone: "Argentina Standard Time" });
    });

    it("refuses made-up and non-Windows names, and IANA names Graph does not document, with TimeZoneNotSupportedException", async () => {
      for (const zone of ["Mars Standard Time", "Hawaii-Aleutian Standard Time", "America/Ciudad_Juarez", "Asia/Toshkent"]) {
        const res = await call("POST", "/me/events", event("x", "UTC", { end: { dateTime: "2026-12-01T12:00:00", timeZone: zone } }));
        assert.equal(res.status, 400, zone);
        const body = (await res.json()) as { error: { code: string; message: string; innerError: Record<string, string> } };
        assert.equal(body.error.code, "TimeZoneNotSupportedException");
        assert.equal(body.error.message, `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${zone}'.`);
        assert.ok(body.error.innerError["request-id"]);
      }
      assert.equal(sb.control.mailboxEvents(EMILY).length, 0);
    });
  });

  describe("$batch dependsOn shapes", () => {
    it("runs parallel, serial and all-on-one-request batches", async () => {
      const shapes: unknown[][] = [
        [create("1", event("p1")), create("2", event("p2"))],
        [create("1", event("s1")), create("2", event("s2"), ["1"]), create("3", event("s3"), ["2"])],
        [create("a", event("r")), create("b", event("r1"), ["a"]), create("c", event("r2"), ["a"])],
        // The shared dependency need not come first.
        [create("b", event("q1"), ["a"]), create("a", event("q")), create("c", event("q2"), ["a"])],
      ];
      for (const requests of shapes) {
        const res = await batch(requests);
        assert.equal(res.status, 200);
        const body = (await res.json()) as { responses: Array<{ status: number }> };
        assert.deepEqual(body.responses.map((r) => r.status), requests.map(() => 201));
      }
      assert.equal(sb.control.mailboxEvents(EMILY).length, 11);
    });

    it("refuses every other dependency graph with 400 before running anything", async () => {
      const shapes: unknown[][] = [
        // The docs' old example: 1 and 3 first, then 2, then 4.
        [create("1", event("x")), create("2", event("x"), ["1"]), create("3", event("x")), create("4", event("x"), ["2"])],
        // A chain with an independent request beside it.
        [create("1", event("x")), create("2", event("x"), ["1"]), create("3", event("x"), ["2"]), create("4", event("x"))],
        // Two dependencies.
        [create("1", event("x")), create("2", event("x")), create("3", event("x"), ["1", "2"])],
        // A chain out of order.
        [create("1", event("x")), create("3", event("x"), ["2"]), create("2", event("x"), ["1"])],
        // Two chains.
        [create("1", event("x")), create("2", event("x"), ["1"]), create("3", event("x")), create("4", event("x"), ["3"])],
      ];
      for (const requests of shapes) {
        const res = await batch(requests);
        assert.equal(res.status, 400, JSON.stringify(requests.map((r: any) => [r.id, r.dependsOn])));
        const body = (await res.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, "BadRequest");
        assert.equal(body.error.message, "Batch should be either fully sequential or fully parallel");
      }
      assert.equal(sb.control.mailboxEvents(EMILY).length, 0);
      assert.equal(sb.control.requestLog().filter((e) => e.batchId).length, 0);
    });
  });

  describe("observable concurrency", () => {
    it("times every log entry and counts the peak of requests in progress per mailbox", async () => {
      sb.control.setLatency({ ms: 150, mailbox: EMILY });
      const statuses = await Promise.all(Array.from({ length: 6 }, () => call("GET", "/me/events").then((r) => r.status)));
      assert.equal(statuses.filter((s) => s === 429).length, 2);
      // The two refused ones were in progress too: the product had more than 4 at once.
      assert.equal(sb.control.peakConcurrency(EMILY), 5);
      assert.equal(sb.control.peakConcurrency(EMILY_ID), 5);
      assert.equal(sb.control.peakConcurrency(), 5);
      const http = (await (await fetch(`${sb.url}/_sandbox/peak-concurrency?mailbox=${encodeURIComponent(EMILY)}`)).json()) as { peak: number };
      assert.equal(http.peak, 5);

      const log = sb.control.requestLog();
      for (const e of log) {
        assert.ok(Date.parse(e.startedAt) <= Date.parse(e.finishedAt), JSON.stringify(e));
        assert.ok(e.startedMs <= e.finishedMs);
        assert.equal(e.time, e.finishedAt);
      }
      const served = log.filter((e) => e.status === 200);
      assert.equal(served.length, 4);
      for (const a of served) for (const b of served) assert.ok(a.startedMs < b.finishedMs, "the four served requests overlapped");
      assert.ok(served.every((e) => e.finishedMs - e.startedMs >= 140));

      sb.control.clearRequestLog();
      assert.equal(sb.control.peakConcurrency(EMILY), 0);
      for (let i = 0; i < 3; i++) assert.equal((await call("GET", "/me/events")).status, 200);
      assert.equal(sb.control.peakConcurrency(EMILY), 1);
      assert.equal((await call("GET", "/me")).status, 200);
      assert.equal(sb.control.peakConcurrency(EMILY), 1, "GET /me is not a mailbox request");

      // $batch items count one by one; the $batch itself does not.
      sb.control.clearRequestLog();
      const res = await batch([1, 2, 3, 4].map((i) => create(String(i), event(`b${i}`))));
      assert.equal(res.status, 200);
      assert.equal(sb.control.peakConcurrency(EMILY), 4);
      const items = sb.control.requestLog().filter((e) => e.batchId);
      assert.equal(items.length, 4);
      for (const a of items) for (const b of items) assert.ok(a.startedMs < b.finishedMs);

      sb.control.reset();
      assert.equal(sb.control.peakConcurrency(), 0);
      sb.control.grantConsent(SAKURA_TRADING.id);
    });
  });

  describe("HTTP/2 and HTTP/1.1 on one port", () => {
    /** Requests on one HTTP/2 connection; each settles to its status or to its stream's error. */
    async function overHttp2(paths: string[]): Promise<Array<number | string>> {
      const session = http2.connect(sb.url, { ca: [...tls.rootCertificates, sb.caPem] });
      session.on("error", () => {});
      try {
        return await Promise.all(
          paths.map(
            (path) =>
              new Promise<number | string>((resolve) => {
                const stream = session.request({ ":method": "POST", ":path": `/v1.0${path}`, authorization: `Bearer ${token}`, "content-type": "application/json" });
                let status = 0;
                stream.on("response", (h) => (status = Number(h[":status"])));
                stream.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
                stream.on("end", () => resolve(status));
                stream.resume();
                stream.end(JSON.stringify(event(path)));
              }),
          ),
        );
      } finally {
        session.close();
      }
    }

    it("answers over HTTP/2 (ALPN h2) and over HTTP/1.1 alike", async () => {
      assert.deepEqual(await overHttp2(["/me/events"]), [201]);
      assert.equal((await call("POST", "/me/events", event("over HTTP/1.1"))).status, 201);
      assert.equal(sb.control.mailboxEvents(EMILY).length, 2);
    });

    it("a dropped request over HTTP/2 resets its own stream; the connection's other requests are answered", async () => {
      sb.control.addFault({ kind: "drop", mailbox: EMILY, method: "POST", pathContains: "/me/calendar/events", times: 1 });
      const outcomes = await overHttp2(["/me/events", "/me/calendar/events", "/me/events"]);
      assert.deepEqual(outcomes, [201, "ERR_HTTP2_STREAM_ERROR", 201]);
      assert.equal(sb.control.mailboxEvents(EMILY).length, 2);
    });
  });

  describe("answers lost after the write happened (drop-after)", () => {
    it("creates the event, then drops the connection without answering", async () => {
      sb.control.addFault({ kind: "drop-after", mailbox: EMILY, method: "POST", times: 1 });
      await assert.rejects(call("POST", "/me/events", event("lost answer", "Tokyo Standard Time", { transactionId: "tx-lost-1" })));
      const stored = sb.control.mailboxEvents(EMILY);
      assert.deepEqual(stored.map((e) => e.subject), ["lost answer"]);
      const entry = sb.control.requestLog().find((e) => e.method === "POST")!;
      assert.equal(entry.status, 0);
      assert.equal(entry.droppedStatus, 201);
      // The client's retry with the same transactionId gets the event the lost answer was about.
      const retry = await call("POST", "/me/events", event("lost answer", "Tokyo Standard Time", { transactionId: "tx-lost-1" }));
      assert.equal(retry.status, 201);
      assert.equal(((await retry.json()) as { id: string }).id, stored[0]!.id);
      assert.equal(sb.control.mailboxEvents(EMILY).length, 1);
    });

    it("differs from drop, which never performs the request", async () => {
      sb.control.addFault({ kind: "drop", mailbox: EMILY, method: "POST", times: 1 });
      await assert.rejects(call("POST", "/me/events", event("never")));
      assert.equal(sb.control.mailboxEvents(EMILY).length, 0);
    });

    it("on the $batch as a whole: every item runs, the answer is lost", async () => {
      sb.control.addFault({ kind: "drop-after", pathContains: "$batch", times: 1 });
      await assert.rejects(batch([create("1", event("b1")), create("2", event("b2"), ["1"])]));
      assert.deepEqual(sb.control.mailboxEvents(EMILY).map((e) => e.subject).sort(), ["b1", "b2"]);
      const log = sb.control.requestLog();
      const top = log.find((e) => e.path === "/v1.0/$batch")!;
      assert.equal(top.status, 0);
      assert.equal(top.droppedStatus, 200);
      assert.deepEqual(log.filter((e) => e.batchId).map((e) => e.status), [201, 201]);
    });

    it("on one $batch item: that item and its dependents run, the whole batch's answer is lost", async () => {
      sb.control.addFault({ kind: "drop-after", mailbox: EMILY, method: "POST", times: 1 });
      await assert.rejects(batch([create("1", event("i1")), create("2", event("i2"), ["1"]), create("3", event("i3"), ["2"])]));
      assert.deepEqual(sb.control.mailboxEvents(EMILY).map((e) => e.subject).sort(), ["i1", "i2", "i3"]);
      const items = sb.control.requestLog().filter((e) => e.batchId);
      assert.deepEqual(items.map((e) => [e.batchId, e.status, e.droppedStatus]), [["1", 0, 201], ["2", 201, undefined], ["3", 201, undefined]]);
      // Without the fault the same kind of batch is answered.
      const ok = await batch([create("1", event("j1"))]);
      assert.equal(ok.status, 200);
    });

    it("on the token endpoint: the code is redeemed, the answer is lost, the code cannot be used again", async () => {
      const app = msalApp(sb);
      const pkce = await new CryptoProvider().generatePkceCodes();
      const url = await app.getAuthCodeUrl({ scopes: GRAPH_CALENDAR_SCOPES, redirectUri: REDIRECT_URI, codeChallenge: pkce.challenge, codeChallengeMethod: "S256" });
      const code = redirectParams(await signIn(url, EMILY)).get("code")!;
      sb.control.addFault({ kind: "drop-after", target: "login", times: 1 });
      const redeem = () => app.acquireTokenByCode({ code, scopes: GRAPH_CALENDAR_SCOPES, redirectUri: REDIRECT_URI, codeVerifier: pkce.verifier });
      await assert.rejects(redeem());
      await assert.rejects(redeem(), (e: Error) => /AADSTS54005/.test(e.message));
      const tokenCalls = sb.control.requestLog().filter((e) => e.path.includes("/oauth2/v2.0/token"));
      assert.deepEqual(tokenCalls.map((e) => [e.status, e.droppedStatus]), [[0, 200], [400, undefined]]);
    });
  });
});
