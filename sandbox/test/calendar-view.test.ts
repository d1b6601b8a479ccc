// The sandbox's week view shows each event in its own zones, as Outlook shows an event made in
// another zone: an English viewer (whose page is in UTC) sees a Tokyo hotel night on its own
// dates, and a flight from its departure's local time to its arrival's, each zone named.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "@microsoft/microsoft-graph-client";
import { SAKURA_TRADING } from "../seed.ts";
import { connectWithMsal, startTestSandbox } from "./helpers.ts";
import type { TestSandbox } from "./helpers.ts";

const EMILY = "emily.clark@sakura-trading.example";

/** The events of one day column, as the viewer reads them. */
function day(page: string, date: string): string {
  const m = new RegExp(`<section class="day" data-date="${date}">([\\s\\S]*?)</section>`).exec(page);
  assert.ok(m, `no column for ${date}`);
  return m[1]!.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");
}

describe("calendar view", () => {
  let sb: TestSandbox;
  let page: string;
  before(async () => {
    sb = await startTestSandbox();
    sb.control.grantConsent(SAKURA_TRADING.domain);
    const { result } = await connectWithMsal(sb, EMILY);
    const client = Client.init({ baseUrl: sb.graphBaseUrl, customHosts: new Set(["localhost"]), authProvider: (done) => done(null, result.accessToken) });
    await client.api("/me/events").post({
      subject: "Hotel: Park Hyatt Tokyo",
      isAllDay: true,
      showAs: "tentative",
      start: { dateTime: "2026-12-02T00:00:00", timeZone: "Asia/Tokyo" },
      end: { dateTime: "2026-12-04T00:00:00", timeZone: "Asia/Tokyo" },
    });
    await client.api("/me/events").post({
      subject: "NH 5 LAX → HND",
      showAs: "tentative",
      start: { dateTime: "2026-12-01T11:00:00", timeZone: "Pacific Standard Time" },
      end: { dateTime: "2026-12-02T17:00:00", timeZone: "Tokyo Standard Time" },
    });
    const res = await fetch(`${sb.url}/_sandbox/calendar/${EMILY}?week=2026-11-30`);
    assert.equal(res.status, 200);
    page = await res.text();
  });
  after(async () => sb.stop());

  it("puts an all-day hotel night on its own dates, not the day before in the viewer's UTC", () => {
    assert.match(page, /· UTC ·/, "the viewer's page is in UTC");
    assert.doesNotMatch(day(page, "2026-12-01"), /Park Hyatt/);
    assert.match(day(page, "2026-12-02"), /All day Hotel: Park Hyatt Tokyo/);
    assert.match(day(page, "2026-12-03"), /Park Hyatt/);
    assert.doesNotMatch(day(page, "2026-12-04"), /Park Hyatt/);
  });

  it("shows a flight from its departure's local time to its arrival's, each zone named", () => {
    assert.match(day(page, "2026-12-01"), /11:00 PST – 17:00 GMT\+9 \(12\/2\) NH 5 LAX → HND/);
    assert.match(day(page, "2026-12-02"), /\(12\/1\) 11:00 PST – 17:00 GMT\+9 NH 5 LAX → HND/);
    assert.doesNotMatch(page, /19:00/, "never the departure in UTC");
  });
});
