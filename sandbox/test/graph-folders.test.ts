// A mailbox with several calendars and a Deleted Items folder, events moved by the traveler, ids
// that change on a move unless Prefer: IdType="ImmutableId" asks for immutable ones, and
// transactionIds reused: driven through the real @microsoft/microsoft-graph-client.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { Client, GraphError } from "@microsoft/microsoft-graph-client";
import { SAKURA_TRADING } from "../seed.ts";
import { connectWithMsal, startTestSandbox } from "./helpers.ts";
import type { TestSandbox } from "./helpers.ts";

const EMILY = "emily.clark@sakura-trading.example";
const KEY_ID = "String {6d3a1f2e-7b4c-4e59-9a8d-1c2b3e4f5a60} Name tripcalSegmentKey";
const IMMUTABLE = { Prefer: 'IdType="ImmutableId"' };

function event(key: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subject: `Flight ${key}`,
    start: { dateTime: "2026-12-01T11:05:00", timeZone: "Tokyo Standard Time" },
    end: { dateTime: "2026-12-01T16:35:00", timeZone: "Tokyo Standard Time" },
    singleValueExtendedProperties: [{ id: KEY_ID, value: key }],
    ...extra,
  };
}

const ours = (top = 10) =>
  `?$filter=${encodeURIComponent(`singleValueExtendedProperties/Any(ep: ep/id eq '${KEY_ID}' and ep/value ne null)`)}&$select=id&$top=${top}&$expand=${encodeURIComponent(`singleValueExtendedProperties($filter=id eq '${KEY_ID}')`)}`;

async function graphErrorOf(p: Promise<unknown>): Promise<GraphError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof GraphError, String(e));
    return e;
  }
  assert.fail("expected a GraphError");
}

describe("Calendars, folders and moved events", () => {
  let sb: TestSandbox;
  let client: Client;
  before(async () => {
    sb = await startTestSandbox();
    sb.control.grantConsent(SAKURA_TRADING.id);
    const token = (await connectWithMsal(sb, EMILY)).result.accessToken;
    client = Client.init({ baseUrl: sb.graphBaseUrl, customHosts: new Set(["localhost"]), authProvider: (done) => done(null, token) });
  });
  after(async () => sb.stop());
  beforeEach(() => sb.control.clearMailbox(EMILY));

  it("lists the mailbox's calendars, the default one first; /me/events is the default calendar only", async () => {
    const travel = sb.control.calendars(EMILY).find((c) => c.name === "Travel") ?? sb.control.addCalendar(EMILY, "Travel");
    const list = (await client.api("/me/calendars").select("id,name,isDefaultCalendar").get()) as { value: Array<{ id: string; name: string; isDefaultCalendar: boolean }> };
    assert.deepEqual(list.value.map((c) => [c.name, c.isDefaultCalendar]).slice(0, 2), [["Calendar", true], ["Travel", false]]);
    const inTravel = (await client.api(`/me/calendars/${encodeURIComponent(travel.id)}/events`).post(event("seg-travel"))) as { id: string };
    await client.api("/me/events").post(event("seg-default"));
    const byDefault = (await client.api(`/me/events${ours()}`).get()) as { value: Array<{ id: string }> };
    assert.equal(byDefault.value.length, 1, "/me/events lists the default calendar alone");
    const byTravel = (await client.api(`/me/calendars/${encodeURIComponent(travel.id)}/events${ours()}`).get()) as { value: Array<{ id: string; singleValueExtendedProperties: Array<{ value: string }> }> };
    assert.deepEqual(byTravel.value.map((e) => [e.id, e.singleValueExtendedProperties[0]!.value]), [[inTravel.id, "seg-travel"]]);
    const unknown = await graphErrorOf(client.api("/me/calendars/AQMkADnoSuchCalendar0000000/events").get());
    assert.equal(unknown.statusCode, 404);
    // A calendar Hanako shared with Emily: listed with its owner, its events out of Calendars.ReadWrite's reach.
    const shared = sb.control.calendars(EMILY).find((c) => c.sharedBy) ?? sb.control.addCalendar(EMILY, "Hanako's calendar", { sharedBy: "hanako.sato@sakura-trading.example" });
    const withOwners = (await client.api("/me/calendars").select("id,owner").get()) as { value: Array<{ id: string; owner: { address: string } }> };
    assert.equal(withOwners.value.find((c) => c.id === shared.id)?.owner.address, "hanako.sato@sakura-trading.example");
    const refused = await graphErrorOf(client.api(`/me/calendars/${encodeURIComponent(shared.id)}/events`).get());
    assert.deepEqual([refused.statusCode, refused.code], [403, "ErrorAccessDenied"]);
  });

  it("pages a calendar's events with $top and @odata.nextLink", async () => {
    for (let i = 0; i < 5; i++) await client.api("/me/events").post(event(`seg-${i}`));
    const seen: string[] = [];
    let page = (await client.api(`/me/calendar/events${ours(2)}`).get()) as { value: Array<{ singleValueExtendedProperties: Array<{ value: string }> }>; "@odata.nextLink"?: string };
    let pages = 1;
    for (;;) {
      seen.push(...page.value.map((e) => e.singleValueExtendedProperties[0]!.value));
      const next = page["@odata.nextLink"];
      if (!next) break;
      page = (await client.api(next).get()) as typeof page;
      pages++;
    }
    assert.equal(pages, 3);
    assert.deepEqual(seen.sort(), ["seg-0", "seg-1", "seg-2", "seg-3", "seg-4"]);
  });

  it("gives a moved event a new id, but keeps its immutable id", async () => {
    const travel = sb.control.calendars(EMILY).find((c) => c.name === "Travel") ?? sb.control.addCalendar(EMILY, "Travel");
    const regular = (await client.api("/me/events").post(event("seg-r"))) as { id: string };
    const immutable = (await client.api("/me/events").headers(IMMUTABLE).post(event("seg-i"))) as { id: string };
    assert.notEqual(immutable.id, regular.id);

    sb.control.moveEvent(EMILY, regular.id, "Travel");
    sb.control.moveEvent(EMILY, immutable.id, travel.id);
    // The regular id is gone with the move; the immutable one still finds and updates the event.
    assert.equal((await graphErrorOf(client.api(`/me/events/${encodeURIComponent(regular.id)}`).patch({ subject: "x" }))).code, "ErrorItemNotFound");
    const patched = (await client.api(`/me/events/${encodeURIComponent(immutable.id)}`).headers(IMMUTABLE).patch({ subject: "Flight changed" })) as { id: string; subject: string };
    assert.equal(patched.id, immutable.id);
    assert.equal(patched.subject, "Flight changed");
    const listed = (await client.api(`/me/calendars/${encodeURIComponent(travel.id)}/events${ours()}`).headers(IMMUTABLE).get()) as { value: Array<{ id: string }> };
    assert.ok(listed.value.some((e) => e.id === immutable.id), "listed with its immutable id where it now is");
    const reg = (await client.api(`/me/calendars/${encodeURIComponent(travel.id)}/events${ours()}`).get()) as { value: Array<{ id: string }> };
    assert.ok(!reg.value.some((e) => e.id === immutable.id), "without the header the regular id is shown");
  });

  it("keeps an event moved to Deleted Items reachable by its immutable id, but in no calendar", async () => {
    const created = (await client.api("/me/events").headers(IMMUTABLE).post(event("seg-d"))) as { id: string };
    const weekView = async () => (await fetch(`${sb.url}/_sandbox/calendar/${EMILY}?week=2026-11-30&lang=en`)).text();
    assert.match(await weekView(), /Flight seg-d/);
    sb.control.moveEvent(EMILY, created.id, "deleteditems");
    assert.doesNotMatch(await weekView(), /Flight seg-d/, "the week view shows the calendars, not Deleted Items");
    const got = (await client.api(`/me/events/${encodeURIComponent(created.id)}`).headers(IMMUTABLE).get()) as { id: string };
    assert.equal(got.id, created.id);
    for (const c of sb.control.calendars(EMILY).filter((x) => !x.sharedBy)) {
      const listed = (await client.api(`/me/calendars/${encodeURIComponent(c.id)}/events${ours()}`).get()) as { value: unknown[] };
      assert.equal(listed.value.length, 0, `nothing listed in ${c.name}`);
    }
    assert.throws(() => sb.control.moveEvent(EMILY, created.id, "Nowhere"), /destination/);
  });

  it("refuses a transactionId reused for a different event, or after its event was deleted", async () => {
    const first = (await client.api("/me/events").post(event("seg-t", { transactionId: "tx-1" }))) as { id: string };
    const retried = (await client.api("/me/events").post(event("seg-t", { transactionId: "tx-1" }))) as { id: string };
    assert.equal(retried.id, first.id, "a retried create returns the first event");
    const other = await graphErrorOf(client.api("/me/events").post(event("seg-t", { transactionId: "tx-1", subject: "Another flight" })));
    assert.equal(other.statusCode, 400);
    assert.equal(other.code, "ErrorDuplicateTransactionId");
    await client.api(`/me/events/${encodeURIComponent(first.id)}`).delete();
    const afterDelete = await graphErrorOf(client.api("/me/events").post(event("seg-t", { transactionId: "tx-1" })));
    assert.equal(afterDelete.code, "ErrorDuplicateTransactionId");
    assert.equal(sb.control.mailboxEvents(EMILY).length, 0);
  });
});
