// RS256 JSON Web Tokens and the JWKS that publishes the signing key (RFC 7515, RFC 7517).
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function loadOrCreateSigningKey(dataDir: string): SigningKey {
  const dir = join(dataDir, "keys");
  const path = join(dir, "token-signing-key.pem");
  let pem: string;
  if (existsSync(path)) {
    pem = readFileSync(path, "utf8");
  } else {
    mkdirSync(dir, { recursive: true });
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    writeFileSync(path, pem, { mode: 0o600 });
  }
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: "jwk" });
  const kid = createHash("sha256").update(String(jwk.n)).digest("base64url").slice(0, 27);
  return { kid, privateKey, publicKey };
}

export function jwks(key: SigningKey): { keys: Array<Record<string, unknown>> } {
  const jwk = key.publicKey.export({ format: "jwk" });
  return {
    keys: [{ kty: "RSA", use: "sig", kid: key.kid, x5t: key.kid, n: jwk.n, e: jwk.e }],
  };
}

function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

export function signJwt(key: SigningKey, claims: Record<string, unknown>): string {
  const head = b64json({ typ: "JWT", alg: "RS256", kid: key.kid, x5t: key.kid });
  const body = b64json(claims);
  const signature = sign("sha256", Buffer.from(`${head}.${body}`), key.privateKey).toString("base64url");
  return `${head}.${body}.${signature}`;
}

/** Returns the claims if the signature is ours and valid, otherwise null. Expiry is the caller's. */
export function verifyJwt(key: SigningKey, token: string): Record<string, unknown> | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const [head, body, signature] = parts as [string, string, string];
  try {
    const header = JSON.parse(Buffer.from(head, "base64url").toString("utf8")) as Record<string, unknown>;
    if (header.alg !== "RS256" || header.kid !== key.kid) return null;
    const ok = verify("sha256", Buffer.from(`${head}.${body}`), key.publicKey, Buffer.from(signature, "base64url"));
    if (!ok) return null;
    return JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/**
 * verifyJwt with a memory of tokens already verified. An RS256 verification costs far more than
 * the rest of a Graph request, and a client sends the same access token for an hour. Only the
 * signature check is remembered (a pure function of the token and our key): expiry, audience and
 * the user are still checked by the caller on every request, on the sandbox clock. Entries whose
 * `exp` has passed on `now()` are forgotten when met; at most `max` entries, oldest dropped first.
 * Claims are shared between requests: callers must not change them.
 */
export function cachedJwtVerifier(key: SigningKey, now: () => number, max = 10_000): (token: string) => Record<string, unknown> | null {
  const verified = new Map<string, Record<string, unknown>>();
  return (token) => {
    const hit = verified.get(token);
    if (hit) {
      if (typeof hit.exp === "number" && hit.exp >= now() / 1000) return hit;
      verified.delete(token);
    }
    const claims = verifyJwt(key, token);
    if (claims && typeof claims.exp === "number" && claims.exp >= now() / 1000) {
      if (verified.size >= max) verified.delete(verified.keys().next().value!);
      verified.set(token, claims);
    }
    return claims;
  };
}
