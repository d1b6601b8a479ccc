// What real Microsoft 365 tenants do beyond the happy path, as tenant and user settings of the
// control API: mailboxes Graph cannot reach (404 MailboxNotEnabledForRESTAPI), mailboxes a user may
// not use (403 ErrorAccessDenied), Conditional Access on token requests (AADSTS50076, 70043,
// 53003), tenants that allow user consent, and admin consent that takes a while to propagate.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { Client } from "@microsoft/microsoft-graph-client";
import { InteractionRequiredAuthError, ServerError } from "@azure/msal-node";
import { MAPLE_LOGISTICS, SAKURA_TRADING } from "../seed.ts";
import { answerConsent, connectWithMsal, GRAPH_CALENDAR_SCOPES, msalApp, redirectParams, signIn, startTestSandbox } from "./helpers.ts";
import type { TestSandbox } from "./helpers.ts";

const TARO = "taro.yamada@sakura-trading.example";
const KEN = "ken.ito@maple-logistics.example";

function graph(sb: TestSandbox, token: string): Client {
  return Client.init({ baseUrl: sb.graphBaseUrl, customHosts: new Set(["localhost"]), authProvider: (done) => done(null, token) });
}

describe("tenant and user settings", () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await startTestSandbox();
  });
  after(async () => sb.stop());
  beforeEach(() => {
    sb.control.reset();
    sb.control.grantConsent(SAKURA_TRADING.id);
  });

  it("a mailbox on premises or inactive answers 404 MailboxNotEnabledForRESTAPI; /me still answers", async () => {
    const { result } = await connectWithMsal(sb, TARO);
    sb.control.setUserSettings(TARO, { mailbox: "onPremises" });
    const client = graph(sb, result.accessToken);
    const err = await client.api("/me/events").get().catch((e: unknown) => e as { statusCode: number; code: string });
    assert.equal(err.statusCode, 404);
    assert.equal(err.code, "MailboxNotEnabledForRESTAPI");
    const batch = await client.api("/$batch").post({ requests: [{ id: "1", method: "GET", url: "/me/events" }] });
    assert.equal(batch.responses[0].status, 404);
    assert.equal(batch.responses[0].body.error.code, "MailboxNotEnabledForRESTAPI");
    assert.equal((await client.api("/me").get()).userPrincipalName, TARO);
    sb.control.setUserSettings(TARO, { mailbox: "exchangeOnline" });
    assert.deepEqual((await client.api("/me/events").get()).value, []);
  });

  it("a user who may not use their mailbox (no Exchange Online licence, blocked) gets 403 ErrorAccessDenied", async () => {
    const { result } = await connectWithMsal(sb, TARO);
    sb.control.setUserSettings(TARO, { mailboxAccess: "denied" });
    const err = await graph(sb, result.accessToken).api("/me/events").post({ subject: "x", start: { dateTime: "2027-01-01T09:00:00", timeZone: "UTC" }, end: { dateTime: "2027-01-01T10:00:00", timeZone: "UTC" } }).catch((e: unknown) => e as { statusCode: number; code: string });
    assert.deepEqual([err.statusCode, err.code], [403, "ErrorAccessDenied"]);
    assert.equal(sb.control.mailboxEvents(TARO).length, 0);
  });

  for (const [policy, code, errorName] of [["mfa", 50076, "invalid_grant"], ["signInFrequency", 70043, "invalid_grant"], ["block", 53003, "interaction_required"]] as const) {
    it(`Conditional Access "${policy}" refuses the user's refresh with AADSTS${code}`, async () => {
      const { app, result } = await connectWithMsal(sb, TARO);
      sb.control.setUserSettings(TARO, { conditionalAccess: policy });
      const err = await app.acquireTokenSilent({ account: result.account!, scopes: GRAPH_CALENDAR_SCOPES, forceRefresh: true }).catch((e: unknown) => e);
      assert.ok(err instanceof InteractionRequiredAuthError || err instanceof ServerError, String(err));
      assert.equal((err as { errorCode: string }).errorCode, errorName);
      assert.match((err as Error).message, new RegExp(`AADSTS${code}`));
      // Other users of the tenant are not affected.
      const emily = await connectWithMsal(sb, "emily.clark@sakura-trading.example");
      assert.ok(emily.result.accessToken);
    });
  }

  it("a tenant that allows user consent lets a user consent to Calendars.ReadWrite for themselves alone", async () => {
    sb.control.setTenantSettings(MAPLE_LOGISTICS.id, { userConsent: true });
    const app = msalApp(sb);
    const url = await app.getAuthCodeUrl({ scopes: GRAPH_CALENDAR_SCOPES, redirectUri: "http://localhost:3000/oauth/outlook/callback", codeChallenge: "c".repeat(43), codeChallengeMethod: "S256", state: "s" });
    const page = await signIn(url, KEN);
    assert.match(await page.clone().text(), /Calendars\.ReadWrite|カレンダー|calendars/i);
    const done = await answerConsent(page, sb.url, "accept", false);
    assert.ok(redirectParams(done).get("code"), "a code for the user's own consent");
    const consents = sb.control.consents(MAPLE_LOGISTICS.id);
    assert.equal(consents.length, 1);
    assert.notEqual(consents[0]!.principal, "AllPrincipals", "the user's own consent, not the organisation's");
  });

  it("a tenant without user consent still sends a non-admin to 'need admin approval'", async () => {
    const app = msalApp(sb);
    const url = await app.getAuthCodeUrl({ scopes: GRAPH_CALENDAR_SCOPES, redirectUri: "http://localhost:3000/oauth/outlook/callback", codeChallenge: "c".repeat(43), codeChallengeMethod: "S256", state: "s" });
    const home = await signIn(url, KEN);
    assert.equal(home.status, 200);
    assert.equal(home.headers.get("location"), null, "no code from the home tenant");
    assert.match(await home.text(), /Need admin approval/);
    assert.equal(sb.control.consents(MAPLE_LOGISTICS.id).length, 0);
  });

  it("a fresh admin consent is refused with AADSTS65001 until it has propagated", async () => {
    sb.control.revokeConsent(SAKURA_TRADING.id);
    sb.control.setTenantSettings(SAKURA_TRADING.id, { consentPropagationSeconds: 120 });
    sb.control.grantConsent(SAKURA_TRADING.id);
    const early = await connectWithMsal(sb, TARO).catch((e: unknown) => e);
    assert.match(String((early as Error).message), /AADSTS65001/);
    sb.control.advanceClock(121_000);
    const { result } = await connectWithMsal(sb, TARO);
    assert.ok(result.accessToken);
  });

  it("the settings are reachable over HTTP and bad values are refused naming the field", async () => {
    const put = (path: string, body: unknown) => fetch(`${sb.url}/_sandbox/${path}`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const ok = await put(`users/${TARO}/settings`, { mailbox: "inactive", conditionalAccess: "mfa" });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { mailbox: "inactive", conditionalAccess: "mfa" });
    const bad = await put(`users/${TARO}/settings`, { mailbox: "cloud" });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error.message, /mailbox/);
    const tenant = await put(`tenants/${SAKURA_TRADING.id}/settings`, { userConsent: true, consentPropagationSeconds: 60 });
    assert.deepEqual(await tenant.json(), { userConsent: true, consentPropagationSeconds: 60 });
    sb.control.reset();
    assert.deepEqual(sb.control.setUserSettings(TARO, {}), {}, "reset forgets the settings");
  });

  it("a B2B guest signs in and refreshes at the inviting tenant; their home tenant gives no token for the company's resources", async () => {
    // Ken's home is Maple Logistics; Sakura invited him as a guest. Only Sakura consented.
    const bad = await fetch(`${sb.url}/_sandbox/users/${encodeURIComponent(KEN)}/settings`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ guestIn: ["nowhere.example"] }) });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /guestIn/);
    assert.deepEqual(sb.control.setUserSettings(KEN, { guestIn: ["sakura-trading.example"] }).guestIn, [SAKURA_TRADING.id]);

    const { app, result } = await connectWithMsal(sb, KEN, { tenant: SAKURA_TRADING.id });
    const idClaims = result.idTokenClaims as Record<string, unknown>;
    assert.equal(idClaims.tid, SAKURA_TRADING.id, "the token is the inviting tenant's");
    assert.ok(result.account!.homeAccountId.endsWith(`.${MAPLE_LOGISTICS.id}`), "the account's home is Maple");
    assert.deepEqual((await graph(sb, result.accessToken).api("/me/events").get()).value, []);

    // Refreshed at Sakura's authority: a token again, of Sakura.
    const again = await app.acquireTokenSilent({ account: result.account!, scopes: GRAPH_CALENDAR_SCOPES, forceRefresh: true });
    assert.equal((again.idTokenClaims as Record<string, unknown>).tid, SAKURA_TRADING.id);

    // The same refresh token at organizations lands in the home tenant, where the app has no consent.
    const cache = app.getTokenCache().serialize();
    const elsewhere = msalApp(sb, "organizations");
    elsewhere.getTokenCache().deserialize(cache);
    const account = (await elsewhere.getTokenCache().getAllAccounts())[0]!;
    await assert.rejects(elsewhere.acquireTokenSilent({ account, scopes: GRAPH_CALENDAR_SCOPES, forceRefresh: true }), (e: unknown) => {
      assert.ok(e instanceof InteractionRequiredAuthError);
      assert.match(String((e as Error).message), /AADSTS65001/);
      return true;
    });
    // Signing in at organizations is the home tenant's sign-in: Maple's "need admin approval", no code.
    const url = await msalApp(sb).getAuthCodeUrl({ scopes: GRAPH_CALENDAR_SCOPES, redirectUri: "http://localhost:3000/oauth/outlook/callback", codeChallenge: "c".repeat(43), codeChallengeMethod: "S256", state: "s" });
    const home = await signIn(url, KEN);
    assert.equal(home.status, 200);
    assert.equal(home.headers.get("location"), null, "no code from the home tenant");
    assert.match(await home.text(), /Need admin approval/);
    // Someone who is not Sakura's guest still cannot sign in at Sakura (AADSTS50020).
    const stranger = await signIn(await msalApp(sb, SAKURA_TRADING.id).getAuthCodeUrl({ scopes: GRAPH_CALENDAR_SCOPES, redirectUri: "http://localhost:3000/oauth/outlook/callback", codeChallenge: "c".repeat(43), codeChallengeMethod: "S256", state: "s" }), "admin@maple-logistics.example");
    assert.equal(stranger.status, 400);
    assert.match(await stranger.text(), /AADSTS50020/);
  });

  it("an expired client secret refuses every token request with AADSTS7000222; a 507 fault answers ErrorQuotaExceeded", async () => {
    const { app, result } = await connectWithMsal(sb, TARO);
    const bad = await fetch(`${sb.url}/_sandbox/apps/${sb.app.clientId}/settings`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ secretExpired: "yes" }) });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /secretExpired/);
    const set = await fetch(`${sb.url}/_sandbox/apps/${sb.app.clientId}/settings`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ secretExpired: true }) });
    assert.deepEqual(await set.json(), { secretExpired: true });
    await assert.rejects(app.acquireTokenSilent({ account: result.account!, scopes: GRAPH_CALENDAR_SCOPES, forceRefresh: true }), (e: unknown) => {
      assert.ok(e instanceof ServerError);
      assert.equal((e as ServerError).errorCode, "invalid_client");
      assert.match(String((e as Error).message), /AADSTS7000222: The provided client secret keys for app '[^']+' are expired/);
      return true;
    });
    sb.control.setAppSettings({ secretExpired: false });
    assert.ok((await app.acquireTokenSilent({ account: result.account!, scopes: GRAPH_CALENDAR_SCOPES, forceRefresh: true })).accessToken);

    sb.control.addFault({ kind: 507, mailbox: TARO, times: 1 });
    const res = await fetch(`${sb.url}/v1.0/me/events`, { headers: { authorization: `Bearer ${result.accessToken}` } });
    assert.equal(res.status, 507);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "ErrorQuotaExceeded");
  });
});
