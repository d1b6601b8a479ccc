// Shared by the Entra ID endpoints: dependencies, pending authorization codes, tenant resolution.
import type { SandboxClock } from "../clock.ts";
import type { SbRequest, SbResponse } from "../http-types.ts";
import type { SigningKey } from "../jwt.ts";
import type { SeedApp, SeedTenant } from "../seed.ts";
import type { DirectoryUser, Store } from "../store.ts";
import { aadErrorResponse } from "./errors.ts";
import type { AadError } from "./errors.ts";

export interface EntraDeps {
  store: Store;
  clock: SandboxClock;
  key: SigningKey;
  /** Injected faults for the token endpoint (target "login"). */
  fault?: (method: string, path: string) => { kind: "drop" } | { kind: "drop-after" } | { kind: "error"; status: number; retryAfter?: string } | null;
}

export interface AuthCode {
  clientId: string;
  redirectUri: string;
  userId: string;
  tenantId: string;
  scope: string;
  codeChallenge: string;
  nonce?: string;
  authTime: number;
  expiresAt: number;
  redeemed: boolean;
}

export interface EntraContext extends EntraDeps {
  /** Authorization codes not yet expired (memory only: a restart invalidates them, as harmless). */
  codes: Map<string, AuthCode>;
}

/** The path's tenant segment: a known tenant, or one of the multi-tenant aliases. */
export type TenantRef = { kind: "tenant"; tenant: SeedTenant; segment: string } | { kind: "organizations" | "common"; segment: string };

export const CODE_LIFETIME_MS = 10 * 60_000;

export function resolveTenant(store: Store, segment: string): TenantRef | null {
  const lower = segment.toLowerCase();
  if (lower === "organizations" || lower === "common") return { kind: lower, segment: lower };
  const tenant = store.tenant(segment);
  return tenant ? { kind: "tenant", tenant, segment } : null;
}

export function aadError(ctx: EntraContext, req: SbRequest, e: AadError): SbResponse {
  return aadErrorResponse(e, ctx.clock.now(), req.baseUrl, req.headers["client-request-id"]);
}

export function clientInfo(user: DirectoryUser): string {
  return Buffer.from(JSON.stringify({ uid: user.id, utid: user.tenantId })).toString("base64url");
}

export function invalidScope(scope: string): AadError {
  return {
    status: 400,
    error: "invalid_scope",
    code: 70011,
    message: `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
  };
}

/**
 * Whether a redirect URI is registered for the app: exactly, or (an http://localhost or
 * http://127.0.0.1 URI) the same host, path and query on any port. Microsoft's "Redirect URI
 * (reply URL) restrictions": paths are case-sensitive and matched as registered; the port of a
 * localhost URI is ignored.
 */
export function isAllowedRedirect(app: SeedApp, uri: string): boolean {
  if (app.redirectUris.includes(uri)) return true;
  const asked = loopback(uri);
  return !!asked && app.redirectUris.some((registered) => {
    const r = loopback(registered);
    return !!r && r.host === asked.host && r.rest === asked.rest;
  });
}

function loopback(uri: string): { host: string; rest: string } | undefined {
  try {
    const u = new URL(uri);
    if (u.protocol !== "http:" || (u.hostname !== "localhost" && u.hostname !== "127.0.0.1") || u.hash || u.username || u.password) return undefined;
    return { host: u.hostname, rest: `${u.pathname}${u.search}` };
  } catch {
    return undefined;
  }
}
