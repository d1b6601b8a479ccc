// The HTTP control API, the calendar web view, and state surviving a restart on the same port.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "@microsoft/microsoft-graph-client";
import { SAKURA_TRADING } from "../seed.ts";
import { connectWithMsal, GRAPH_CALENDAR_SCOPES, msalApp, startTestSandbox } from "./helpers.ts";
import type { TestSandbox } from "./helpers.ts";

const HANAKO = "hanako.sato@sakura-trading.example";

describe("control API over HTTP", () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await startTestSandbox();
  });
  after(async () => sb.stop());

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sb.url}/_sandbox/${path}`, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  it("grants and revokes consent, moves the clock, sets faults and reads mailboxes and the log", async () => {
    const info = await call("GET", "info");
    assert.equal(info.body.tenants[0].id, SAKURA_TRADING.id);
    assert.equal(info.body.caPath, sb.caPath);

    assert.equal((await call("POST", `tenants/${SAKURA_TRADING.domain}/consent`, { scopes: ["Calendars.ReadWrite", "User.Read"] })).status, 200);
    const { result } = await connectWithMsal(sb, HANAKO);
    const client = Client.init({ baseUrl: sb.graphBaseUrl, customHosts: new Set(["localhost"]), authProvider: (done) => done(null, result.accessToken) });
    await client.api("/me/events").post({
      subject: "Hotel: Frankfurter Hof",
      start: { dateTime: "2026-12-01T15:00:00", timeZone: "W. Europe Standard Time" },
      end: { dateTime: "2026-12-03T11:00:00", timeZone: "W. Europe Standard Time" },
      showAs: "tentative",
    });
    const box = await call("GET", `mailboxes/${HANAKO}/events`);
    assert.equal(box.body.value.length, 1);
    assert.equal(box.body.value[0].start.timeZone, "W. Europe Standard Time");

    const log = await call("GET", "requests");
    const post = log.body.value.find((e: any) => e.method === "POST" && e.path === "/v1.0/me/events");
    assert.equal(post.status, 201);
    assert.equal(post.body.subject, "Hotel: Frankfurter Hof");
    assert.equal(post.mailbox, SAKURA_TRADING.users[1]!.id);
    assert.ok(!JSON.stringify(log.body).includes(result.accessToken));

    const before = Date.parse((await call("GET", "clock")).body.now);
    const advanced = Date.parse((await call("POST", "clock/advance", { days: 1 })).body.now);
    assert.ok(advanced - before >= 86_400_000);

    await call("PUT", "faults", { faults: [{ kind: 503, mailbox: HANAKO, times: 1 }] });
    const fresh = await connectWithMsal(sb, HANAKO);
    const r = await fetch(`${sb.url}/v1.0/me/events`, { headers: { authorization: `Bearer ${fresh.result.accessToken}` } });
    assert.equal(r.status, 503);
    assert.equal((await call("DELETE", "faults")).status, 200);

    await call("POST", `users/${HANAKO}/revoke-sessions`);
    await assert.rejects(fresh.app.acquireTokenSilent({ account: fresh.result.account!, scopes: GRAPH_CALENDAR_SCOPES, forceRefresh: true }));

    assert.equal((await call("DELETE", `tenants/${SAKURA_TRADING.id}/consent`)).body.removed, 1);
    assert.equal((await call("GET", "nope")).status, 404);
  });

  it("edits and deletes events as the traveler would in Outlook", async () => {
    const [ev] = (await call("GET", `mailboxes/${HANAKO}/events`)).body.value;
    const edited = await call("PATCH", `mailboxes/${HANAKO}/events/${encodeURIComponent(ev.id)}`, { showAs: "busy" });
    assert.equal(edited.status, 200);
    assert.notEqual(edited.body.changeKey, ev.changeKey);
    assert.equal((await call("PATCH", `mailboxes/${HANAKO}/events/${encodeURIComponent(ev.id)}`, { showAs: "maybe" })).status, 400);
    assert.equal(sb.control.editEvent(HANAKO, ev.id, { showAs: "tentative" }).showAs, "tentative");
    const copy = sb.control.mailboxEvents(HANAKO)[0]!;
    assert.equal(copy.id, ev.id);
  });

  it("shows a mailbox's week with tentative events marked as tentative", async () => {
    const page = await (await fetch(`${sb.url}/_sandbox/calendar/${HANAKO}`)).text();
    assert.match(page, /class="ev tentative"/);
    assert.match(page, /仮の予定/);
    assert.match(page, /Frankfurter Hof/);

    const [ev] = sb.control.mailboxEvents(HANAKO);
    assert.equal((await call("DELETE", `mailboxes/${HANAKO}/events/${encodeURIComponent(ev!.id)}`)).status, 200);
    assert.equal(sb.control.deleteEvent(HANAKO, ev!.id), false);
    assert.deepEqual(sb.control.mailboxEvents(HANAKO), []);
  });
});

describe("restart", () => {
  it("reuses the CA and keeps consents, refresh tokens and events on the same port", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tripcal-sandbox-restart-"));
    try {
      const first = await startTestSandbox(undefined, dir);
      let cache: string;
      let account;
      const ca = readFileSync(first.caPath, "utf8");
      const port = first.port;
      try {
        first.control.grantConsent(SAKURA_TRADING.id);
        const { app, result } = await connectWithMsal(first, HANAKO);
        cache = app.getTokenCache().serialize();
        account = result.account!;
        const created = await fetch(`${first.url}/v1.0/me/events`, {
          method: "POST",
          headers: { authorization: `Bearer ${result.accessToken}`, "content-type": "application/json" },
          body: JSON.stringify({ subject: "kept", start: { dateTime: "2026-12-01T09:00:00", timeZone: "UTC" }, end: { dateTime: "2026-12-01T10:00:00", timeZone: "UTC" } }),
        });
        assert.equal(created.status, 201);
      } finally {
        await first.stop();
      }
      // Let this process notice the closed keep-alive sockets (a real restart looks the same to a
      // client: its first request on a stale connection fails).
      await new Promise((r) => setTimeout(r, 50));

      const { startSandbox } = await import("../server.ts");
      const second = await startSandbox({ dataDir: dir, port });
      try {
        assert.equal(second.caPem, ca);
        const app2 = msalApp(second);
        await app2.getTokenCache().deserialize(cache);
        const refreshed = await app2.acquireTokenSilent({ account, scopes: GRAPH_CALENDAR_SCOPES, forceRefresh: true });
        assert.ok(refreshed.accessToken);
        assert.deepEqual(second.control.mailboxEvents(HANAKO).map((e) => e.subject), ["kept"]);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("configuration", () => {
  it("adds tenants, users and pre-granted consent from <dataDir>/sandbox-config.json", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tripcal-sandbox-config-"));
    writeFileSync(
      join(dir, "sandbox-config.json"),
      JSON.stringify({
        seed: {
          tenants: [
            {
              id: "11111111-2222-4333-8444-555555555555",
              displayName: "Fuji Travel",
              domain: "fuji-travel.example",
              users: [{ id: "11111111-2222-4333-8444-000000000001", userPrincipalName: "aiko@fuji-travel.example", displayName: "Aiko", givenName: "Aiko", surname: "Mori", isAdmin: false }],
            },
          ],
          consents: [{ tenantId: "11111111-2222-4333-8444-555555555555", clientId: "3f6c1a52-8d4e-4b7a-9c21-5e0f7d2b9a14", scopes: ["User.Read", "Calendars.ReadWrite"] }],
        },
      }),
    );
    const sb = await startTestSandbox(undefined, dir);
    try {
      assert.equal(sb.tenants.length, 3);
      const { result } = await connectWithMsal(sb, "aiko@fuji-travel.example");
      assert.equal(result.tenantId, "11111111-2222-4333-8444-555555555555");
    } finally {
      await sb.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
