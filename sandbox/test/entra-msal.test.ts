// Conformance: the real @azure/msal-node against the sandbox's Entra ID.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { InteractionRequiredAuthError, ServerError } from "@azure/msal-node";
import { SAKURA_TRADING } from "../seed.ts";
import { connectWithMsal, GRAPH_CALENDAR_SCOPES, msalApp, startTestSandbox } from "./helpers.ts";
import type { TestSandbox } from "./helpers.ts";

const DAY = 86_400_000;
const EMILY = "emily.clark@sakura-trading.example";

describe("MSAL Node against the sandbox's Entra ID", () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await startTestSandbox();
    sb.control.grantConsent(SAKURA_TRADING.id);
  });
  after(async () => sb.stop());

  it("signs in with authorization code + PKCE and returns an account with tid/oid", async () => {
    const { result } = await connectWithMsal(sb, EMILY);
    const emily = SAKURA_TRADING.users[3]!;
    assert.equal(result.account?.homeAccountId, `${emily.id}.${SAKURA_TRADING.id}`);
    assert.equal(result.account?.username, EMILY);
    assert.equal(result.tenantId, SAKURA_TRADING.id);
    assert.equal(result.idTokenClaims && (result.idTokenClaims as Record<string, unknown>).name, "Emily Clark");
    const claims = JSON.parse(Buffer.from(result.accessToken.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    assert.equal(claims.aud, "https://graph.microsoft.com");
    assert.match(String(claims.scp), /Calendars\.ReadWrite/);
    assert.equal(claims.tid, SAKURA_TRADING.id);
    const log = sb.control.requestLog();
    const tokenCall = log.find((e) => e.path.includes("/oauth2/v2.0/token"))!;
    assert.equal((tokenCall.body as Record<string, string>).code, "[redacted]");
    assert.equal((tokenCall.body as Record<string, string>).client_secret, "[redacted]");
    assert.ok(!JSON.stringify(log).includes(result.accessToken));
  });

  it("works with a tenant-specific authority too", async () => {
    const { app, result } = await connectWithMsal(sb, "hanako.sato@sakura-trading.example", { tenant: SAKURA_TRADING.id });
    assert.equal(result.tenantId, SAKURA_TRADING.id);
    const again = await app.acquireTokenSilent({ account: result.account!, scopes: GRAPH_CALENDAR_SCOPES, forceRefresh: true });
    assert.ok(again.accessToken);
  });

  it("answers acquireTokenSilent from cache and refreshes (rotating refresh tokens) on forceRefresh, repeatedly", async () => {
    const { app, result } = await connectWithMsal(sb, EMILY);
    const silent = await app.acquireTokenSilent({ account: result.account!, scopes: GRAPH_CALENDAR_SCOPES });
    assert.equal(silent.accessToken, result.accessToken);
    let last = result.accessToken;
    for (let i = 0; i < 3; i++) {
      const refreshed = await app.acquireTokenSilent({ account: result.account!, scopes: GRAPH_CALENDAR_SCOPES, forceRefresh: true });
      assert.notEqual(refreshed.accessToken, last);
      last = refreshed.accessToken;
    }
  });

  it("refuses a refresh token after 90 idle days with invalid_grant AADSTS700082 (InteractionRequiredAuthError)", async () => {
    const { app, result } = await connectWithMsal(sb, EMILY);
    sb.control.advanceClock(91 * DAY);
    await assert.rejects(
      app.acquireTokenSilent({ account: result.account!, scopes: GRAPH_CALENDAR_SCOPES, forceRefresh: true }),
      (e: unknown) => {
        assert.ok(e instanceof InteractionRequiredAuthError, String(e));
        assert.equal(e.errorCode, "invalid_grant");
        assert.equal(e.subError, "bad_token");
        assert.equal(String(e.errorNo), "700082");
        return true;
      },
    );
  });

  it("keeps a refresh token alive while it is used within 90 days", async () => {
    const { app, result } = await connectWithMsal(sb, EMILY);
    for (let i = 0; i < 3; i++) {
      sb.control.advanceClock(60 * DAY);
      await app.acquireTokenSilent({ account: result.account!, scopes: GRAPH_CALENDAR_SCOPES, forceRefresh: true });
    }
  });

  it("refuses refresh after the user's sessions are revoked with AADSTS50173 (a ServerError: Microsoft sends no suberror)", async () => {
    const { app, result } = await connectWithMsal(sb, "taro.yamada@sakura-trading.example");
    sb.control.revokeUserSessions("taro.yamada@sakura-trading.example");
    await assert.rejects(app.acquireTokenSilent({ account: result.account!, scopes: GRAPH_CALENDAR_SCOPES, forceRefresh: true }), (e: unknown) => {
      assert.ok(e instanceof ServerError, String(e));
      assert.ok(!(e instanceof InteractionRequiredAuthError));
      assert.equal(e.errorCode, "invalid_grant");
      assert.equal(String(e.errorNo), "50173");
      return true;
    });
    // Signing in again works, and so do its refreshes.
    const again = await connectWithMsal(sb, "taro.yamada@sakura-trading.example");
    await again.app.acquireTokenSilent({ account: again.result.account!, scopes: GRAPH_CALENDAR_SCOPES, forceRefresh: true });
  });

  it("answers a reused refresh token with invalid_grant", async () => {
    const { result } = await connectWithMsal(sb, EMILY);
    void result;
    const app = msalApp(sb);
    const cache = JSON.parse(app.getTokenCache().serialize()) as Record<string, unknown>;
    assert.ok(cache);
    // Drive the token endpoint directly: rotate once, then reuse the old token.
    const first = await connectWithMsal(sb, EMILY, { app });
    const rts = Object.values((JSON.parse(app.getTokenCache().serialize()) as { RefreshToken: Record<string, { secret: string }> }).RefreshToken);
    const rt = rts[0]!.secret;
    const token = async (refreshToken: string) =>
      fetch(`${sb.authority("organizations")}/oauth2/v2.0/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: refreshToken,
          client_id: sb.app.clientId,
          client_secret: sb.app.clientSecret,
          scope: "https://graph.microsoft.com/Calendars.ReadWrite offline_access",
        }),
      });
    const ok = await token(rt);
    assert.equal(ok.status, 200);
    const again = await token(rt);
    assert.equal(again.status, 400);
    const body = (await again.json()) as Record<string, unknown>;
    assert.equal(body.error, "invalid_grant");
    assert.ok(Array.isArray(body.error_codes));
    for (const k of ["error_description", "timestamp", "trace_id", "correlation_id"]) assert.ok(k in body, k);
    assert.match(String(body.error_description), /^AADSTS70000: .* Trace ID: .* Correlation ID: .* Timestamp: /);
    void first;
  });

  it("can make the token endpoint fail with 503 (MSAL then throttles that request itself)", async () => {
    const { app, result } = await connectWithMsal(sb, EMILY);
    sb.control.addFault({ kind: 503, target: "login", times: 1, retryAfterSeconds: 30 });
    await assert.rejects(app.acquireTokenSilent({ account: result.account!, scopes: GRAPH_CALENDAR_SCOPES, forceRefresh: true }), (e: unknown) => {
      assert.ok(e instanceof ServerError);
      assert.equal(e.errorCode, "temporarily_unavailable");
      return true;
    });
    const tokenCalls = sb.control.requestLog().filter((e) => e.path.includes("/oauth2/v2.0/token"));
    assert.equal(tokenCalls.at(-1)!.status, 503);
  });
});
