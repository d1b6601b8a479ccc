// The Google stand-in driven by Google's own libraries (google-auth-library's JWT and OAuth2Client,
// the Calendar v3 client of @googleapis/calendar), and by plain HTTP where a library has no call
// for it (the batch endpoint, the Admin console page).
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { after, before, beforeEach, describe, test } from "node:test";
import { calendar as calendarApi } from "@googleapis/calendar";
import { JWT, OAuth2Client } from "google-auth-library";
import { Agent, fetch as undiciFetch } from "undici";
import { CALENDAR_EVENTS_SCOPE, startGoogleSandbox } from "../google/server.ts";
import type { GoogleSandbox } from "../google/server.ts";

const TARO = "taro.yamada@sakura-trading.example";
const DOMAIN = "sakura-trading.example";

describe("Google sandbox, through Google's libraries", () => {
  let dir: string;
  let g: GoogleSandbox;
  let dispatcher: Agent;
  // Google's hosts → the sandbox, and its CA trusted: what a client's settings do.
  let fetchImplementation: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  const http = (url: string, init: RequestInit = {}) => undiciFetch(url, { ...(init as object), dispatcher } as never) as unknown as Promise<Response>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "tripcal-google-sbx-"));
    g = await startGoogleSandbox({ dataDir: dir, port: 0 });
    dispatcher = new Agent({ connect: { ca: [...rootCertificates, g.caPem] } });
    fetchImplementation = (input, init) => {
      const url = String(input instanceof Request ? input.url : input).replace(/^https:\/\/(oauth2|www)\.googleapis\.com|^https:\/\/accounts\.google\.com/, g.url);
      return http(url, init);
    };
  });
  after(async () => {
    await g.close();
    await dispatcher.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => g.control.reset());

  const jwtFor = (subject?: string, scopes = [CALENDAR_EVENTS_SCOPE]) =>
    new JWT({ email: g.serviceAccountKey.client_email, key: g.serviceAccountKey.private_key, scopes, ...(subject ? { subject } : {}), transporterOptions: { fetchImplementation: fetchImplementation as never } });
  const calendarFor = (auth: JWT | OAuth2Client) => calendarApi({ version: "v3", auth, rootUrl: `${g.url}/` });
  const statusOf = async (p: Promise<unknown>) => p.then(() => 200, (e: { response?: { status: number } }) => e.response?.status ?? -1);

  test("OIDC discovery and JWKS", async () => {
    const conf = (await (await http(`${g.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    assert.equal(conf.issuer, g.url);
    assert.equal(conf.token_endpoint, `${g.url}/token`);
    assert.deepEqual(conf.code_challenge_methods_supported, ["plain", "S256"]);
    const jwks = (await (await http(conf.jwks_uri as string)).json()) as { keys: Array<{ kty: string; alg?: string }> };
    assert.equal(jwks.keys[0]!.kty, "RSA");
  });

  test("the JWT bearer grant: unauthorized_client until the admin authorizes the client id for every scope, invalid_grant outside the domain", async () => {
    await assert.rejects(jwtFor(TARO).getAccessToken(), /unauthorized_client/);
    g.control.authorizeDelegation(DOMAIN, ["https://www.googleapis.com/auth/calendar.readonly"]);
    await assert.rejects(jwtFor(TARO).getAccessToken(), /unauthorized_client/);
    g.control.authorizeDelegation(DOMAIN, [CALENDAR_EVENTS_SCOPE]);
    const { token } = await jwtFor(TARO).getAccessToken();
    assert.match(token!, /^ya29\./);
    await assert.rejects(jwtFor("someone@elsewhere.example").getAccessToken(), /invalid_grant/);
    g.control.suspendUser(TARO);
    await assert.rejects(jwtFor(TARO).getAccessToken(), /invalid_grant/);
  });

  test("events: a client-chosen base32hex id, kept taken after deletion (409), get, patch, list by privateExtendedProperty with paging", async () => {
    g.control.authorizeDelegation(DOMAIN);
    const cal = calendarFor(jwtFor(TARO));
    const body = (id: string, key: string) => ({
      id, summary: "のぞみ 15号", start: { dateTime: "2026-12-01T08:00:00", timeZone: "Asia/Tokyo" }, end: { dateTime: "2026-12-01T10:27:00", timeZone: "Asia/Tokyo" },
      status: "tentative", transparency: "opaque", reminders: { useDefault: false, overrides: [{ method: "popup", minutes: 60 }] }, extendedProperties: { private: { k: key } },
    });
    const created = await cal.events.insert({ calendarId: "primary", requestBody: body("abcdefv0123", "one") });
    assert.equal(created.data.id, "abcdefv0123");
    assert.equal(created.data.status, "tentative");
    assert.equal(created.data.start?.timeZone, "Asia/Tokyo");
    const dup = await cal.events.insert({ calendarId: "primary", requestBody: body("abcdefv0123", "one") }, { retry: false }).catch((e) => e);
    assert.equal(dup.response.status, 409);
    assert.deepEqual(dup.response.data.error.errors[0], { domain: "global", reason: "duplicate", message: "The requested identifier already exists." });
    assert.equal(await statusOf(cal.events.insert({ calendarId: "primary", requestBody: body("ABC_bad!", "x") }, { retry: false })), 400);
    assert.equal(await statusOf(cal.events.insert({ calendarId: "primary", requestBody: body("wxyz12345", "x") }, { retry: false })), 400);

    const patched = await cal.events.patch({ calendarId: "primary", eventId: "abcdefv0123", requestBody: { summary: "変更" } });
    assert.equal(patched.data.summary, "変更");
    assert.equal(patched.data.sequence, 1);
    for (let i = 0; i < 5; i++) await cal.events.insert({ calendarId: "primary", requestBody: body(`page0000${i}`, "many") });
    const seen: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await cal.events.list({ calendarId: "primary", privateExtendedProperty: ["k=many"], maxResults: 2, ...(pageToken ? { pageToken } : {}) });
      seen.push(...(page.data.items ?? []).map((e) => e.id!));
      pageToken = page.data.nextPageToken ?? undefined;
    } while (pageToken);
    assert.deepEqual(seen.sort(), ["page00000", "page00001", "page00002", "page00003", "page00004"]);

    await cal.events.delete({ calendarId: "primary", eventId: "abcdefv0123" });
    assert.equal(await statusOf(cal.events.get({ calendarId: "primary", eventId: "abcdefv0123" }, { retry: false })), 410);
    assert.equal(await statusOf(cal.events.delete({ calendarId: "primary", eventId: "abcdefv0123" }, { retry: false })), 410);
    assert.equal(await statusOf(cal.events.insert({ calendarId: "primary", requestBody: body("abcdefv0123", "one") }, { retry: false })), 409);
    // Another user's calendar is not reachable with Taro's token.
    assert.equal(await statusOf(cal.events.list({ calendarId: "emily.clark@sakura-trading.example" }, { retry: false })), 404);
  });

  test("per-user quota: 403 userRateLimitExceeded in Google's error shape", async () => {
    g.control.authorizeDelegation(DOMAIN);
    g.control.setLimits({ perUserPerMinute: 2 });
    const cal = calendarFor(jwtFor(TARO));
    await cal.events.list({ calendarId: "primary" }, { retry: false });
    await cal.events.list({ calendarId: "primary" }, { retry: false });
    const e = await cal.events.list({ calendarId: "primary" }, { retry: false }).catch((x) => x);
    assert.equal(e.response.status, 403);
    assert.equal(e.response.data.error.errors[0].domain, "usageLimits");
    assert.equal(e.response.data.error.errors[0].reason, "userRateLimitExceeded");
    g.control.setLimits({ perUserPerMinute: 600 });
  });

  test("the batch endpoint: multipart/mixed in, one application/http answer per part out", async () => {
    g.control.authorizeDelegation(DOMAIN);
    const { token } = await jwtFor(TARO).getAccessToken();
    const event = { id: "batch00001", summary: "batch", start: { date: "2026-12-01" }, end: { date: "2026-12-02" } };
    const parts = [
      `POST /calendar/v3/calendars/primary/events HTTP/1.1\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(event)}`,
      `GET /calendar/v3/calendars/primary/events/batch00001 HTTP/1.1\r\n\r\n`,
      `POST /calendar/v3/calendars/primary/events HTTP/1.1\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(event)}`,
    ];
    const body = parts.map((p, i) => `--b0\r\nContent-Type: application/http\r\nContent-ID: <item${i + 1}>\r\n\r\n${p}\r\n`).join("") + "--b0--\r\n";
    const res = await http(`${g.url}/batch/calendar/v3`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "multipart/mixed; boundary=b0" }, body });
    assert.equal(res.status, 200);
    const text = await res.text();
    const statuses = [...text.matchAll(/Content-ID: <response-(item\d)>\r\n\r\nHTTP\/1\.1 (\d{3})/g)].map((m) => `${m[1]} ${m[2]}`);
    // Google may run a batch's items in any order: one of the two inserts of the id makes the
    // event, the other is its duplicate, and the get finds it or not, depending on the order.
    assert.equal(statuses.length, 3);
    const inserts = statuses.filter((s) => /^item[13] /.test(s)).map((s) => s.slice(-3)).sort();
    assert.deepEqual(inserts, ["200", "409"]);
    assert.ok(statuses.includes("item2 200") || statuses.includes("item2 404"));
    assert.equal(g.control.events(TARO).length, 1);
  });

  test("per-user sign-in: authorization code with PKCE and offline access, consent in Japanese, ID token verified, refresh, revocation", async () => {
    const redirectUri = "http://localhost:3000/oauth/google/callback";
    const client = new OAuth2Client({
      clientId: g.webClient.clientId, clientSecret: g.webClient.clientSecret, redirectUri, transporterOptions: { fetchImplementation: fetchImplementation as never },
      endpoints: { oauth2AuthBaseUrl: `${g.url}/o/oauth2/v2/auth`, oauth2TokenUrl: `${g.url}/token`, oauth2RevokeUrl: `${g.url}/revoke`, oauth2FederatedSignonPemCertsUrl: `${g.url}/oauth2/v1/certs`, oauth2FederatedSignonJwkCertsUrl: `${g.url}/oauth2/v3/certs` },
      issuers: [g.url],
    });
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const url = client.generateAuthUrl({ access_type: "offline", prompt: "consent", scope: [CALENDAR_EVENTS_SCOPE, "openid", "email"], state: "s1", code_challenge: challenge, code_challenge_method: "S256" as never, hl: "ja" });
    const chooser = await http(url);
    assert.match(await chooser.text(), /アカウントの選択/);
    const signIn = await http(`${g.url}/ServiceLogin`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ email: TARO, continue: new URL(url).pathname + new URL(url).search }).toString() });
    const cookie = signIn.headers.get("set-cookie")!.split(";")[0]!;
    const consent = await (await http(url, { headers: { cookie } })).text();
    assert.match(consent, /<title>tripcalがGoogleアカウントへのアクセスをリクエストしています<\/title>/);
    assert.match(consent, /Googleカレンダーの予定の表示と編集/);
    const fields = Object.fromEntries([...consent.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, "&")]));
    const decide = (decision: string) => http(`${g.url}/o/oauth2/v2/auth/consent`, { method: "POST", redirect: "manual", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ ...fields, decision }).toString() });

    const denied = new URL((await decide("deny")).headers.get("location")!);
    assert.equal(denied.searchParams.get("error"), "access_denied");
    assert.equal(denied.searchParams.get("state"), "s1");

    const back = new URL((await decide("allow")).headers.get("location")!);
    const code = back.searchParams.get("code")!;
    await assert.rejects(client.getToken({ code, codeVerifier: "wrong".padEnd(43, "x") }), /invalid_grant/);
    const again = new URL((await decide("allow")).headers.get("location")!);
    const { tokens } = await client.getToken({ code: again.searchParams.get("code")!, codeVerifier: verifier });
    assert.ok(tokens.refresh_token && tokens.access_token && tokens.id_token);
    const ticket = await client.verifyIdToken({ idToken: tokens.id_token!, audience: g.webClient.clientId });
    assert.equal(ticket.getPayload()?.email, TARO);
    assert.equal(ticket.getPayload()?.hd, DOMAIN);

    client.setCredentials({ refresh_token: tokens.refresh_token });
    const refreshed = await client.refreshAccessToken();
    assert.ok(refreshed.credentials.access_token);
    const cal = calendarFor(client);
    assert.equal((await cal.events.list({ calendarId: "primary" })).status, 200);
    await client.revokeToken(tokens.refresh_token!);
    client.setCredentials({ refresh_token: tokens.refresh_token });
    await assert.rejects(client.refreshAccessToken(), /invalid_grant/);
  });

  test("the Admin console's delegation page: super administrators only; what it authorizes is what the token endpoint honours", async () => {
    const signIn = async (email: string) => (await http(`${g.url}/ServiceLogin`, { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ email, continue: "/ac/owl/domainwidedelegation" }).toString() })).headers.get("set-cookie")!.split(";")[0]!;
    const user = await signIn(TARO);
    assert.equal((await http(`${g.url}/ac/owl/domainwidedelegation`, { headers: { cookie: user } })).status, 403);
    const admin = await signIn("it-admin@sakura-trading.example");
    const post = (fields: Record<string, string>) => http(`${g.url}/ac/owl/domainwidedelegation`, { method: "POST", headers: { cookie: admin, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() });
    assert.equal((await post({ action: "add", client_id: "not-a-number", scopes: CALENDAR_EVENTS_SCOPE })).status, 400);
    const added = await post({ action: "add", client_id: g.serviceAccountKey.client_id!, scopes: `${CALENDAR_EVENTS_SCOPE}, openid` });
    assert.equal(added.status, 200);
    assert.deepEqual(g.control.delegations(DOMAIN), [{ clientId: g.serviceAccountKey.client_id, scopes: [CALENDAR_EVENTS_SCOPE, "openid"] }]);
    assert.ok((await jwtFor(TARO).getAccessToken()).token);
    await post({ action: "delete", client_id: g.serviceAccountKey.client_id! });
    await assert.rejects(jwtFor(TARO).getAccessToken(), /unauthorized_client/);
  });
});
