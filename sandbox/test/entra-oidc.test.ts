// Sign-in (OpenID Connect) against the sandbox's Entra ID through MSAL Node: the id token a
// code redemption returns carries tid, oid, the request's nonce, preferred_username (the UPN) and,
// with the email scope, the user's mail attribute as `email`; it is signed by a key the JWKS
// publishes, and its issuer is the tenant's v2.0 issuer.
import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { CryptoProvider } from "@azure/msal-node";
import { MAPLE_LOGISTICS } from "../seed.ts";
import { msalApp, REDIRECT_URI, redirectParams, signIn, startTestSandbox } from "./helpers.ts";
import type { TestSandbox } from "./helpers.ts";

const NO_MAILBOX = {
  id: "b2f6d1e3-4c5a-4b7f-9d0e-1a2b3c4d5e09", userPrincipalName: "contractor@maple-logistics.example", displayName: "Contractor",
  givenName: "C", surname: "C", isAdmin: false, mail: "someone.else@sakura-trading.example",
};

describe("OpenID Connect sign-in against the sandbox's Entra ID", () => {
  let sb: TestSandbox;
  before(async () => {
    sb = await startTestSandbox({ seed: { tenants: [{ ...MAPLE_LOGISTICS, users: [...MAPLE_LOGISTICS.users, NO_MAILBOX] }] } });
  });
  after(async () => sb.stop());

  async function oidcSignIn(login: string, nonce: string) {
    const app = msalApp(sb);
    const scopes = ["openid", "profile", "email"];
    const pkce = await new CryptoProvider().generatePkceCodes();
    const state = `state-${Math.random()}`;
    const url = await app.getAuthCodeUrl({ scopes, redirectUri: REDIRECT_URI, codeChallenge: pkce.challenge, codeChallengeMethod: "S256", state, nonce });
    assert.equal(new URL(url).searchParams.get("nonce"), nonce);
    const params = redirectParams(await signIn(url, login));
    assert.equal(params.get("state"), state);
    const code = params.get("code")!;
    return app.acquireTokenByCode({ code, scopes, redirectUri: REDIRECT_URI, codeVerifier: pkce.verifier, nonce, state }, { code, state });
  }

  it("needs no admin consent, and returns an id token with tid, oid, nonce and the UPN; email is the mail attribute", async () => {
    const result = await oidcSignIn(NO_MAILBOX.userPrincipalName, "n-0S6_WzA2Mj");
    const claims = result.idTokenClaims as Record<string, unknown>;
    assert.equal(claims.tid, MAPLE_LOGISTICS.id);
    assert.equal(claims.oid, NO_MAILBOX.id);
    assert.equal(claims.nonce, "n-0S6_WzA2Mj");
    assert.equal(claims.preferred_username, NO_MAILBOX.userPrincipalName);
    assert.equal(claims.email, "someone.else@sakura-trading.example", "set by the user, verified by nobody");
    assert.equal(claims.aud, sb.app.clientId);
    assert.equal(claims.iss, `${sb.url}/${MAPLE_LOGISTICS.id}/v2.0`);
    assert.equal(claims.ver, "2.0");
  });

  it("signs the id token with a key of the tenant's JWKS (RS256)", async () => {
    const result = await oidcSignIn("ken.ito@maple-logistics.example", "n-2");
    const [header, payload, signature] = result.idToken.split(".") as [string, string, string];
    const { kid, alg } = JSON.parse(Buffer.from(header, "base64url").toString()) as { kid: string; alg: string };
    assert.equal(alg, "RS256");
    const discovery = (await (await fetch(`${sb.url}/${MAPLE_LOGISTICS.id}/v2.0/.well-known/openid-configuration`)).json()) as { jwks_uri: string; issuer: string };
    assert.equal(discovery.issuer, `${sb.url}/${MAPLE_LOGISTICS.id}/v2.0`);
    const { keys } = (await (await fetch(discovery.jwks_uri)).json()) as { keys: Array<{ kid: string; kty: string; n: string; e: string }> };
    const jwk = keys.find((k) => k.kid === kid)!;
    assert.ok(jwk, "the token's kid is published");
    const key = createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: "jwk" });
    assert.ok(verify("RSA-SHA256", Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, "base64url")));
  });

  it("MSAL refuses an id token whose nonce is not the one it was asked for", async () => {
    const app = msalApp(sb);
    const scopes = ["openid", "profile"];
    const pkce = await new CryptoProvider().generatePkceCodes();
    const url = await app.getAuthCodeUrl({ scopes, redirectUri: REDIRECT_URI, codeChallenge: pkce.challenge, codeChallengeMethod: "S256", state: "s", nonce: "the-real-one" });
    const code = redirectParams(await signIn(url, "ken.ito@maple-logistics.example")).get("code")!;
    await assert.rejects(
      app.acquireTokenByCode({ code, scopes, redirectUri: REDIRECT_URI, codeVerifier: pkce.verifier, nonce: "another-one", state: "s" }, { code, state: "s" }),
      /nonce/i,
    );
  });
});
