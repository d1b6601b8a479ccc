// Admin consent (granted, refused, revoked), the "need admin approval" path, and the authorize
// endpoint's refusals.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, beforeEach, describe, it } from "node:test";
import { InteractionRequiredAuthError } from "@azure/msal-node";
import { MAPLE_LOGISTICS, SAKURA_TRADING, TRIPCAL_APP } from "../seed.ts";
import { answerConsent, connectWithMsal, firstForm, GRAPH_CALENDAR_SCOPES, postForm, redirectParams, REDIRECT_URI, signIn, startTestSandbox } from "./helpers.ts";
import type { TestSandbox } from "./helpers.ts";

const ADMIN_REDIRECT = "http://localhost:3000/oauth/outlook/consent-callback";

function adminConsentUrl(sb: TestSandbox, tenant = "organizations", state = "xyz"): string {
  const q = new URLSearchParams({
    client_id: TRIPCAL_APP.clientId,
    scope: "https://graph.microsoft.com/Calendars.ReadWrite https://graph.microsoft.com/User.Read",
    redirect_uri: ADMIN_REDIRECT,
    state,
  });
  return `${sb.url}/${tenant}/v2.0/adminconsent?${q}`;
}

function authorizeUrl(sb: TestSandbox, extra: Record<string, string> = {}, tenant = "organizations"): string {
  const verifier = "v".repeat(50);
  const q = new URLSearchParams({
    client_id: TRIPCAL_APP.clientId,
    response_type: "code",
    redirect_uri: REDIRECT_URI,
    scope: "openid profile offline_access https://graph.microsoft.com/Calendars.ReadWrite",
    state: "s1",
    code_challenge: createHash("sha256").update(verifier).digest("base64url"),
    code_challenge_method: "S256",
    ...extra,
  });
  return `${sb.url}/${tenant}/oauth2/v2.0/authorize?${q}`;
}

describe("admin consent and consent-dependent sign-in", () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await startTestSandbox();
  });
  after(async () => sb.stop());
  beforeEach(() => sb.control.reset());

  it("shows the consent page with the organisation checkbox and redirects with admin_consent=True", async () => {
    const signedIn = await signIn(adminConsentUrl(sb), "it-admin@sakura-trading.example");
    const page = await signedIn.clone().text();
    assert.match(page, /Outlook Integration/);
    assert.match(page, /Consent on behalf of your organization/);
    assert.match(page, />Accept</);
    const done = await answerConsent(signedIn, sb.url, "accept");
    assert.equal(done.status, 302);
    assert.ok(done.headers.get("location")!.startsWith(ADMIN_REDIRECT));
    const params = redirectParams(done);
    assert.equal(params.get("admin_consent"), "True");
    assert.equal(params.get("tenant"), SAKURA_TRADING.id);
    assert.equal(params.get("state"), "xyz");
    assert.match(params.get("scope")!, /Calendars\.ReadWrite/);
    assert.equal(sb.control.consents(SAKURA_TRADING.id)[0]!.principal, "AllPrincipals");
    // Now any user of the tenant gets a calendar token without a prompt.
    const { result } = await connectWithMsal(sb, "hanako.sato@sakura-trading.example");
    assert.ok(result.accessToken);
  });

  it("speaks Japanese: 組織を代表して同意する and 承認", async () => {
    const url = adminConsentUrl(sb);
    const page = await (await fetch(url, { headers: { "accept-language": "ja-JP,ja;q=0.9" } })).text();
    const form = firstForm(page, url);
    const consent = await (await fetch(form.action, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "accept-language": "ja" },
      body: new URLSearchParams({ ...form.fields, login: "it-admin@sakura-trading.example" }).toString(),
    })).text();
    assert.match(consent, /<label for="consent_org">組織を代表して同意する<\/label>/);
    assert.match(consent, /value="accept">承認<\/button>/);
    assert.match(consent, /キャンセル/);
  });

  it("redirects with error=access_denied when the admin cancels", async () => {
    const signedIn = await signIn(adminConsentUrl(sb, SAKURA_TRADING.id, "st"), "it-admin@sakura-trading.example");
    const done = await answerConsent(signedIn, sb.url, "cancel");
    const params = redirectParams(done);
    assert.equal(params.get("error"), "access_denied");
    assert.equal(params.get("error_subcode"), "cancel");
    assert.equal(params.get("state"), "st");
    assert.equal(params.get("tenant"), SAKURA_TRADING.id);
    assert.match(params.get("error_description")!, /^AADSTS65004/);
    assert.equal(sb.control.consents(SAKURA_TRADING.id).length, 0);
  });

  it("does not let a non-admin grant admin consent", async () => {
    const res = await signIn(adminConsentUrl(sb), "taro.yamada@sakura-trading.example");
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /Need admin approval/);
    const back = await postForm(firstForm(page, sb.url).action, { ...firstForm(page, sb.url).fields, decision: "cancel" });
    assert.equal(redirectParams(back).get("error"), "access_denied");
    assert.match(redirectParams(back).get("error_description")!, /^AADSTS90094: An administrator of Sakura Trading has set a policy/);
    assert.equal(redirectParams(back).get("tenant"), SAKURA_TRADING.id);
    assert.equal(sb.control.consents().length, 0);
  });

  it("does not issue a Calendars.ReadWrite code to a user of a tenant without admin consent", async () => {
    const res = await signIn(authorizeUrl(sb), "ken.ito@maple-logistics.example");
    assert.equal(res.status, 200, "no redirect: the user is stuck on the approval page");
    assert.match(await res.text(), /Need admin approval/);
  });

  it("fails refresh with AADSTS65001 once consent is revoked", async () => {
    sb.control.grantConsent(MAPLE_LOGISTICS.id);
    const { app, result } = await connectWithMsal(sb, "ken.ito@maple-logistics.example");
    sb.control.revokeConsent(MAPLE_LOGISTICS.id);
    await assert.rejects(app.acquireTokenSilent({ account: result.account!, scopes: GRAPH_CALENDAR_SCOPES, forceRefresh: true }), (e: unknown) => {
      assert.ok(e instanceof InteractionRequiredAuthError, String(e));
      assert.equal(e.errorCode, "invalid_grant");
      assert.equal(e.subError, "consent_required");
      assert.equal(String(e.errorNo), "65001");
      return true;
    });
  });

  it("refuses a user of another tenant on a tenant-specific authority (AADSTS50020)", async () => {
    sb.control.grantConsent(SAKURA_TRADING.id);
    const res = await signIn(authorizeUrl(sb, {}, SAKURA_TRADING.id), "admin@maple-logistics.example");
    assert.equal(res.status, 400);
    assert.match(await res.text(), /AADSTS50020/);
  });

  it("shows AADSTS900971 for an admin-consent link without redirect_uri", async () => {
    const url = adminConsentUrl(sb).replace(/&redirect_uri=[^&]*/, "");
    const res = await fetch(url);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /AADSTS900971/);
  });

  it("never redirects to an unregistered redirect URI", async () => {
    const res = await fetch(authorizeUrl(sb, { redirect_uri: "https://evil.example/cb" }), { redirect: "manual" });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /AADSTS50011/);
  });

  it("matches redirect URIs by exact path, ignoring only a localhost URI's port (AADSTS50011 otherwise)", async () => {
    const refused = [
      "http://localhost:3000/oauth/outlook/callback/extra",
      "http://localhost:3000/oauth/outlook/",
      "http://localhost:3000/OAuth/outlook/callback",
      "http://localhost:3000/oauth/outlook/callback?next=/",
      "https://localhost:3000/oauth/outlook/callback",
      "http://localhost.evil.example/oauth/outlook/callback",
    ];
    for (const redirect_uri of refused) {
      const res = await fetch(authorizeUrl(sb, { redirect_uri }), { redirect: "manual" });
      assert.equal(res.status, 400, redirect_uri);
      assert.match(await res.text(), /AADSTS50011/, redirect_uri);
    }
    const consent = await fetch(adminConsentUrl(sb).replace(encodeURIComponent(ADMIN_REDIRECT), encodeURIComponent("http://localhost:3000/oauth/outlook/consent")), { redirect: "manual" });
    assert.equal(consent.status, 400);
    assert.match(await consent.text(), /AADSTS50011/);
    // The registered path on another port: the sign-in page, not a refusal.
    const otherPort = await fetch(authorizeUrl(sb, { redirect_uri: "http://localhost:53123/oauth/outlook/callback" }), { redirect: "manual" });
    assert.equal(otherPort.status, 200);

    // At redemption, an unregistered redirect URI is AADSTS50011 too, and the code stays unused.
    sb.control.grantConsent(SAKURA_TRADING.id);
    const res = await signIn(authorizeUrl(sb), "emily.clark@sakura-trading.example");
    const code = redirectParams(res).get("code")!;
    const redeem = (redirect_uri: string) => fetch(`${sb.url}/organizations/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code", code, redirect_uri, code_verifier: "v".repeat(50),
        client_id: TRIPCAL_APP.clientId, client_secret: TRIPCAL_APP.clientSecret,
        scope: "openid offline_access https://graph.microsoft.com/Calendars.ReadWrite",
      }),
    });
    const wrong = await redeem("http://localhost:3000/oauth/outlook/callback/");
    assert.equal(wrong.status, 400);
    const body = (await wrong.json()) as Record<string, unknown>;
    assert.deepEqual(body.error_codes, [50011]);
    assert.match(String(body.error_description), /^AADSTS50011: The redirect URI/);
    assert.equal((await redeem(REDIRECT_URI)).status, 200);
  });

  it("requires PKCE S256 and checks the verifier", async () => {
    const noPkce = await fetch(authorizeUrl(sb, { code_challenge: "", code_challenge_method: "" }), { redirect: "manual" });
    assert.equal(redirectParams(noPkce).get("error"), "invalid_request");
    const plain = await fetch(authorizeUrl(sb, { code_challenge_method: "plain" }), { redirect: "manual" });
    assert.equal(redirectParams(plain).get("error"), "invalid_request");

    sb.control.grantConsent(SAKURA_TRADING.id);
    const res = await signIn(authorizeUrl(sb), "emily.clark@sakura-trading.example");
    const code = redirectParams(res).get("code")!;
    const token = await fetch(`${sb.url}/organizations/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: "w".repeat(50),
        client_id: TRIPCAL_APP.clientId,
        client_secret: TRIPCAL_APP.clientSecret,
        scope: "openid offline_access https://graph.microsoft.com/Calendars.ReadWrite",
      }),
    });
    assert.equal(token.status, 400);
    const body = (await token.json()) as Record<string, unknown>;
    assert.equal(body.error, "invalid_grant");
    assert.deepEqual(body.error_codes, [501481]);
  });

  it("pre-selects login_hint and accepts a typed address", async () => {
    const url = authorizeUrl(sb, { login_hint: "emily.clark@sakura-trading.example" });
    const page = await (await fetch(url)).text();
    assert.match(page, /id="typed_login" type="email" name="login" autocomplete="username" value="emily\.clark@sakura-trading\.example"/);
    const unknown = await signIn(url, "nobody@sakura-trading.example");
    assert.match(await unknown.text(), /AADSTS50034/);
  });
});
