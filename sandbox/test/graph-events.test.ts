// Conformance: the real @microsoft/microsoft-graph-client against the sandbox's Graph calendar.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { Client, GraphError } from "@microsoft/microsoft-graph-client";
import { SAKURA_TRADING } from "../seed.ts";
import { connectWithMsal, startTestSandbox } from "./helpers.ts";
import type { TestSandbox } from "./helpers.ts";

const EMILY = "emily.clark@sakura-trading.example";
const PROP_ID = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name tripcal.segmentId";

function graphClient(sb: TestSandbox, token: string): Client {
  return Client.init({
    baseUrl: sb.graphBaseUrl,
    customHosts: new Set(["localhost"]),
    authProvider: (done) => done(null, token),
  });
}

function tentativeFlight(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subject: "✈ NH 203 Tokyo (HND) → Frankfurt (FRA)",
    body: { contentType: "text", content: "Booking ref ABC123\nSeat 32A" },
    start: { dateTime: "2026-12-01T11:05:00", timeZone: "Tokyo Standard Time" },
    end: { dateTime: "2026-12-01T16:35:00", timeZone: "W. Europe Standard Time" },
    showAs: "tentative",
    location: { displayName: "Haneda Airport (HND)" },
    isReminderOn: false,
    categories: ["tripcal"],
    singleValueExtendedProperties: [{ id: PROP_ID, value: "seg-1" }],
    ...extra,
  };
}

async function graphErrorOf(p: Promise<unknown>): Promise<GraphError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof GraphError, String(e));
    return e;
  }
  assert.fail("expected a GraphError");
}

describe("Graph client against the sandbox's calendar", () => {
  let sb: TestSandbox;
  let client: Client;
  let token: string;
  before(async () => {
    sb = await startTestSandbox();
    sb.control.grantConsent(SAKURA_TRADING.id);
    token = (await connectWithMsal(sb, EMILY)).result.accessToken;
    client = graphClient(sb, token);
  });
  after(async () => sb.stop());
  beforeEach(() => {
    sb.control.clearMailbox(EMILY);
    sb.control.clearFaults();
    sb.control.setLatency(0);
    sb.control.clearRequestLog();
  });

  it("reads /me", async () => {
    const me = (await client.api("/me").get()) as Record<string, unknown>;
    assert.equal(me.userPrincipalName, EMILY);
    assert.equal(me.id, SAKURA_TRADING.users[3]!.id);
  });

  it("creates, reads, updates and deletes an event", async () => {
    const created = (await client.api("/me/events").post(tentativeFlight())) as Record<string, any>;
    assert.match(created.id, /^AAMk/);
    assert.match(created.iCalUId, /^040000008200E00074C5B7101A82E008/);
    assert.equal(created["@odata.etag"], `W/"${created.changeKey}"`);
    assert.equal(created.showAs, "tentative");
    assert.deepEqual(created.start, { dateTime: "2026-12-01T02:05:00.0000000", timeZone: "UTC" });
    assert.equal(created.originalStartTimeZone, "Tokyo Standard Time");
    assert.equal(created.body.contentType, "html");
    assert.equal(created.singleValueExtendedProperties, undefined);

    const inTokyo = (await client.api(`/me/events/${encodeURIComponent(created.id)}`).header("Prefer", 'outlook.timezone="Tokyo Standard Time"').get()) as Record<string, any>;
    assert.deepEqual(inTokyo.start, { dateTime: "2026-12-01T11:05:00.0000000", timeZone: "Tokyo Standard Time" });
    const badZone = await graphErrorOf(client.api(`/me/events/${encodeURIComponent(created.id)}`).header("Prefer", 'outlook.timezone="Tokyo"').get());
    assert.equal(badZone.code, "TimeZoneNotSupportedException");

    const updated = (await client.api(`/me/events/${encodeURIComponent(created.id)}`).patch({ subject: "changed", showAs: "tentative" })) as Record<string, any>;
    assert.equal(updated.subject, "changed");
    assert.notEqual(updated.changeKey, created.changeKey);
    assert.equal(updated.iCalUId, created.iCalUId);

    const stale = await graphErrorOf(client.api(`/me/events/${encodeURIComponent(created.id)}`).header("If-Match", created["@odata.etag"]).patch({ subject: "x" }));
    assert.equal(stale.statusCode, 412);
    assert.equal(stale.code, "ErrorIrresolvableConflict");

    await client.api(`/me/events/${encodeURIComponent(created.id)}`).delete();
    const gone = await graphErrorOf(client.api(`/me/events/${encodeURIComponent(created.id)}`).get());
    assert.equal(gone.statusCode, 404);
    assert.equal(gone.code, "ErrorItemNotFound");
    assert.deepEqual(sb.control.mailboxEvents(EMILY), []);
    const malformed = await graphErrorOf(client.api(`/me/events/${encodeURIComponent(encodeURIComponent(created.id + "%"))}`).get());
    assert.equal(malformed.statusCode, 400);
    assert.equal(malformed.code, "ErrorInvalidIdMalformed");
  });

  it("de-duplicates a retried POST with the same transactionId", async () => {
    const a = (await client.api("/me/events").post(tentativeFlight({ transactionId: "trip-1-seg-1-v1" }))) as Record<string, any>;
    const b = (await client.api("/me/events").post(tentativeFlight({ transactionId: "trip-1-seg-1-v1" }))) as Record<string, any>;
    assert.equal(a.id, b.id);
    assert.equal(sb.control.mailboxEvents(EMILY).length, 1);
  });

  it("finds events by singleValueExtendedProperties with $filter and $expand, $select and paging", async () => {
    for (let i = 0; i < 5; i++) {
      await client.api("/me/events").post(tentativeFlight({ subject: `flight ${i}`, singleValueExtendedProperties: [{ id: PROP_ID, value: `seg-${i}` }] }));
    }
    const filter = `singleValueExtendedProperties/Any(ep: ep/id eq '${PROP_ID}' and ep/value eq 'seg-3')`;
    const found = (await client
      .api("/me/events")
      .filter(filter)
      .expand(`singleValueExtendedProperties($filter=id eq '${PROP_ID}')`)
      .select("subject,showAs")
      .get()) as { value: Array<Record<string, any>> };
    assert.equal(found.value.length, 1);
    assert.equal(found.value[0]!.subject, "flight 3");
    assert.deepEqual(found.value[0]!.singleValueExtendedProperties, [{ id: PROP_ID, value: "seg-3" }]);
    // Type names and GUIDs compare case-insensitively, as in Exchange.
    const upperGuid = "string {66F5A359-4659-4830-9070-00047EC6AC6E} Name tripcal.segmentId";
    const again = (await client.api("/me/events").filter(`singleValueExtendedProperties/any(ep: ep/id eq '${upperGuid}' and ep/value eq 'seg-3')`).get()) as { value: unknown[] };
    assert.equal(again.value.length, 1);
    assert.equal(found.value[0]!.start, undefined, "$select leaves other properties out");

    const page1 = (await client.api("/me/events").top(2).select("subject").get()) as { value: unknown[]; "@odata.nextLink"?: string };
    assert.equal(page1.value.length, 2);
    assert.ok(page1["@odata.nextLink"]);
    const seen = [...page1.value];
    let next: string | undefined = page1["@odata.nextLink"];
    while (next) {
      const page = (await client.api(next).get()) as { value: unknown[]; "@odata.nextLink"?: string };
      seen.push(...page.value);
      next = page["@odata.nextLink"];
    }
    assert.equal(seen.length, 5);
  });

  it("answers calendarView and Prefer: outlook.body-content-type", async () => {
    await client.api("/me/events").post(tentativeFlight());
    const inWindow = (await client.api("/me/calendarView").query({ startDateTime: "2026-12-01T00:00:00Z", endDateTime: "2026-12-02T00:00:00Z" }).get()) as { value: Array<Record<string, any>> };
    assert.equal(inWindow.value.length, 1);
    const outside = (await client.api("/me/calendarView").query({ startDateTime: "2026-12-05T00:00:00Z", endDateTime: "2026-12-06T00:00:00Z" }).get()) as { value: unknown[] };
    assert.equal(outside.value.length, 0);
    const text = (await client.api(`/me/events/${encodeURIComponent(inWindow.value[0]!.id)}`).header("Prefer", 'outlook.body-content-type="text"').get()) as Record<string, any>;
    assert.deepEqual(text.body, { contentType: "text", content: "Booking ref ABC123\nSeat 32A" });
  });

  it("refuses invalid events the way Graph does", async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [tentativeFlight({ colour: "red" }), "RequestBodyRead", /The property 'colour' does not exist on type 'Microsoft\.OutlookServices\.Event'/],
      [tentativeFlight({ showAs: "maybe" }), "RequestBodyRead", /Requested value 'maybe' was not found/],
      [tentativeFlight({ isReminderOn: "no" }), "RequestBodyRead", /Cannot convert the literal 'no' to the expected type 'Edm\.Boolean'/],
      [tentativeFlight({ start: { dateTime: "2026-12-01T11:05:00", timeZone: "Mars/Olympus" } }), "TimeZoneNotSupportedException", /Mars\/Olympus/],
      [tentativeFlight({ start: { dateTime: "1 Dec 2026 11:05", timeZone: "UTC" } }), "UnableToDeserializePostBody", /deserialize/],
      [tentativeFlight({ end: {} }), "TimeZoneNotSupportedException", /not supported: ''/],
      [tentativeFlight({ location: { displayName: "HND", kind: "airport" } }), "RequestBodyRead", /'kind' does not exist on type 'Microsoft\.OutlookServices\.Location'/],
      [tentativeFlight({ singleValueExtendedProperties: [{ id: "tripcal.segmentId", value: "x" }] }), "ErrorInvalidExtendedPropertyValue", /tripcal\.segmentId/],
      [tentativeFlight({ end: { dateTime: "2026-11-30T10:00:00", timeZone: "UTC" } }), "ErrorPropertyValidationFailure", /failed validation/],
      [
        tentativeFlight({ isAllDay: true, start: { dateTime: "2026-12-01T09:00:00", timeZone: "UTC" }, end: { dateTime: "2026-12-02T00:00:00", timeZone: "UTC" } }),
        "ErrorInvalidRequest",
        /midnight/,
      ],
    ];
    for (const [body, code, message] of cases) {
      const e = await graphErrorOf(client.api("/me/events").post(body));
      assert.equal(e.statusCode, 400, code);
      assert.equal(e.code, code);
      assert.match(e.message, message);
    }
    assert.equal(sb.control.mailboxEvents(EMILY).length, 0);
  });

  it("serves /users/{id}/events for the signed-in user only", async () => {
    const upn = encodeURIComponent(EMILY);
    await client.api(`/users/${upn}/events`).post(tentativeFlight());
    const list = (await client.api(`/users/${SAKURA_TRADING.users[3]!.id}/events`).get()) as { value: unknown[] };
    assert.equal(list.value.length, 1);
    const other = await graphErrorOf(client.api(`/users/taro.yamada@sakura-trading.example/events`).get());
    assert.equal(other.statusCode, 403);
    assert.equal(other.code, "ErrorAccessDenied");
  });

  it("runs $batch with dependsOn, answering 424 for dependents of a failure", async () => {
    const res = (await client.api("/$batch").post({
      requests: [
        { id: "1", method: "POST", url: "/me/events", headers: { "Content-Type": "application/json" }, body: tentativeFlight({ subject: "one" }) },
        { id: "2", method: "POST", url: "/me/events", headers: { "Content-Type": "application/json" }, body: tentativeFlight({ showAs: "nope" }), dependsOn: ["1"] },
        { id: "3", method: "GET", url: "/me/events?$select=subject", dependsOn: ["2"] },
        { id: "4", method: "GET", url: "/me", dependsOn: ["3"] },
      ],
    })) as { responses: Array<{ id: string; status: number; body?: any }> };
    const byId = Object.fromEntries(res.responses.map((r) => [r.id, r]));
    assert.equal(byId["1"]!.status, 201);
    assert.equal(byId["2"]!.status, 400);
    assert.equal(byId["3"]!.status, 424);
    assert.equal(byId["4"]!.status, 424);
    const tooMany = await graphErrorOf(
      client.api("/$batch").post({ requests: Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: "GET", url: "/me" })) }),
    );
    assert.equal(tooMany.statusCode, 400);
    const sub = sb.control.requestLog().filter((e) => e.batchId);
    assert.ok(sub.some((e) => e.method === "POST" && e.path === "/v1.0/me/events" && (e.body as any).subject === "one"));
  });

  it("answers 429 MailboxConcurrency to a batch of more than 4 requests to one mailbox", async () => {
    const res = (await client.api("/$batch").post({
      requests: Array.from({ length: 6 }, (_, i) => ({ id: String(i + 1), method: "GET", url: "/me/events" })),
    })) as { responses: Array<{ id: string; status: number; headers: Record<string, string>; body?: any }> };
    const throttled = res.responses.filter((r) => r.status === 429);
    assert.equal(throttled.length, 2);
    assert.equal(throttled[0]!.body.error.code, "ApplicationThrottled");
    assert.match(throttled[0]!.body.error.message, /MailboxConcurrency/);
    assert.ok(throttled[0]!.headers["Retry-After"]);
  });

  it("in the four-at-a-time batch mode, Graph runs a batch's items 4 at a time: 20 to one mailbox all succeed, never more than 4 at once", async () => {
    const bad = await fetch(`${sb.url}/_sandbox/throttle`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ batchDispatch: "sometimes" }) });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /batchDispatch/);
    const set = await fetch(`${sb.url}/_sandbox/throttle`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ batchDispatch: "four-at-a-time" }) });
    assert.equal(((await set.json()) as { batchDispatch: string }).batchDispatch, "four-at-a-time");
    try {
      sb.control.setLatency({ ms: 40, mailbox: EMILY });
      sb.control.clearRequestLog();
      const res = (await client.api("/$batch").post({
        requests: Array.from({ length: 20 }, (_, i) => ({ id: String(i + 1), method: "GET", url: "/me/events" })),
      })) as { responses: Array<{ id: string; status: number }> };
      assert.deepEqual(res.responses.map((r) => r.status), Array(20).fill(200));
      assert.equal(sb.control.peakConcurrency(EMILY), 4);
      // A request beside the batch still counts against the mailbox's 4.
      const [batch, single] = await Promise.allSettled([
        client.api("/$batch").post({ requests: Array.from({ length: 8 }, (_, i) => ({ id: String(i + 1), method: "GET", url: "/me/events" })) }),
        new Promise((r) => setTimeout(r, 10)).then(() => fetch(`${sb.url}/v1.0/me/events`, { headers: { authorization: `Bearer ${token}` } })),
      ]);
      assert.equal(batch.status, "fulfilled");
      assert.equal(single.status === "fulfilled" && single.value.status, 429);
    } finally {
      sb.control.setThrottle({ batchDispatch: "all-at-once" });
    }
  });

  it("honours a 429 with Retry-After through the Graph client's retry middleware", async () => {
    sb.control.addFault({ kind: 429, mailbox: EMILY, times: 1, retryAfterSeconds: 1 });
    const started = Date.now();
    const list = (await client.api("/me/events").get()) as { value: unknown[] };
    assert.deepEqual(list.value, []);
    assert.ok(Date.now() - started >= 900, "the client waited for Retry-After");
    const calls = sb.control.requestLog().filter((e) => e.path.startsWith("/v1.0/me/events"));
    assert.deepEqual(calls.map((c) => c.status), [429, 200]);
  });

  it("throttles concurrent requests per mailbox and the 10-minute request budget", async () => {
    sb.control.setLatency({ ms: 150, mailbox: EMILY });
    const statuses = await Promise.all(
      Array.from({ length: 6 }, () => fetch(`${sb.url}/v1.0/me/events`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status)),
    );
    assert.equal(statuses.filter((s) => s === 429).length, 2);
    sb.control.setLatency(0);

    sb.control.setThrottle({ requestsPerTenMinutes: 2 });
    sb.control.advanceClock(11 * 60_000);
    // A fresh 10-minute window: two requests pass, the third is refused until the window moves on.
    const get = () => fetch(`${sb.url}/v1.0/me/events`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await get()).status, 200);
    assert.equal((await get()).status, 200);
    const refused = await get();
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get("retry-after")) > 0);
    assert.equal(((await refused.json()) as any).error.code, "ApplicationThrottled");
    sb.control.advanceClock(10 * 60_000);
    assert.equal((await get()).status, 200);
    sb.control.setThrottle({ requestsPerTenMinutes: 10_000 });
  });

  it("injects 503, 504 and dropped connections", async () => {
    sb.control.setFaults([{ kind: 503, times: 1 }, { kind: 504, times: 1 }, { kind: "drop", times: 1 }]);
    const get = () => fetch(`${sb.url}/v1.0/me/events`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await get()).status, 503);
    assert.equal((await get()).status, 504);
    await assert.rejects(get());
    assert.equal((await get()).status, 200);
  });

  it("refuses expired tokens and tokens without Calendars.ReadWrite", async () => {
    const userOnly = (await connectWithMsal(sb, EMILY, { scopes: ["https://graph.microsoft.com/User.Read"] })).result.accessToken;
    const e = await graphErrorOf(graphClient(sb, userOnly).api("/me/events").get());
    assert.equal(e.statusCode, 403);
    assert.equal(e.code, "ErrorAccessDenied");
    sb.control.advanceClock(2 * 3600_000);
    const expired = await fetch(`${sb.url}/v1.0/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(expired.status, 401);
    assert.equal(((await expired.json()) as any).error.code, "InvalidAuthenticationToken");
    assert.ok(!JSON.stringify(sb.control.requestLog()).includes(token), "the log never holds a token");
  });
});

describe("access tokens verified once and remembered (jwt.ts cachedJwtVerifier)", () => {
  let sb: TestSandbox;
  let token: string;
  before(async () => {
    sb = await startTestSandbox();
    sb.control.grantConsent(SAKURA_TRADING.id);
    token = (await connectWithMsal(sb, EMILY)).result.accessToken;
  });
  after(async () => sb.stop());

  const me = (t: string) => fetch(`${sb.url}/v1.0/me`, { headers: { authorization: `Bearer ${t}` } });
  const batchItem = async (t: string) => {
    const res = await fetch(`${sb.url}/v1.0/$batch`, {
      method: "POST",
      headers: { authorization: `Bearer ${t}`, "content-type": "application/json" },
      body: JSON.stringify({ requests: [{ id: "1", method: "GET", url: "/me/events" }] }),
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as any).responses[0];
  };

  it("still refuses a remembered token once the sandbox clock passes its expiry, and a forged signature always", async () => {
    const exp = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")).exp as number;
    // Accepted twice: the second time from memory.
    assert.equal((await me(token)).status, 200);
    assert.equal((await me(token)).status, 200);
    assert.equal((await batchItem(token)).status, 200);
    // Same header and claims, another signature: refused although the real token is remembered.
    const [head, body, sig] = token.split(".") as [string, string, string];
    const forged = `${head}.${body}.${sig.slice(0, -4)}${sig.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`;
    const f = await me(forged);
    assert.equal(f.status, 401);
    assert.equal(((await f.json()) as any).error.message, "Access token validation failure. Invalid signature.");
    // Past exp on the sandbox clock: refused as expired, on the wire and inside a $batch.
    sb.control.advanceClock(exp * 1000 - sb.control.now() + 1000);
    const expired = await me(token);
    assert.equal(expired.status, 401);
    assert.equal(((await expired.json()) as any).error.message, "Lifetime validation failed, the token is expired.");
    const item = await batchItem(token);
    assert.equal(item.status, 401);
    assert.equal(item.body.error.message, "Lifetime validation failed, the token is expired.");
    // The clock moved back: valid again, as a fresh verification would say.
    sb.control.advanceClock(-2000);
    assert.equal((await me(token)).status, 200);
    // Session revocation concerns refresh tokens: an access token stays as valid as without the memory.
    sb.control.revokeUserSessions(EMILY);
    assert.equal((await me(token)).status, 200);
    sb.control.advanceClock(2000);
    assert.equal((await me(token)).status, 401);
  });
});
