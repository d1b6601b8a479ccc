// What the Google stand-in holds: the Workspace domains and their users, each domain's
// domain-wide delegations (client id → scopes, as the Admin console lists them), the service
// account's key, access and refresh tokens, and each user's primary calendar. In memory: a
// restart starts from the seed (the key file stays in the data folder, so a product configured
// with it keeps working).
import { generateKeyPairSync, randomBytes, createPrivateKey, createPublicKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { GoogleSeed, WebClient, WorkspaceDomain, WorkspaceUser } from "./seed.ts";

export interface StoredGoogleEvent {
  kind: "calendar#event";
  id: string;
  etag: string;
  status: "confirmed" | "tentative" | "cancelled";
  htmlLink: string;
  created: string;
  updated: string;
  summary?: string;
  description?: string;
  location?: string;
  start: GoogleTime;
  end: GoogleTime;
  transparency?: "opaque" | "transparent";
  visibility?: string;
  colorId?: string;
  reminders?: { useDefault: boolean; overrides?: Array<{ method: "email" | "popup"; minutes: number }> };
  extendedProperties?: { private?: Record<string, string>; shared?: Record<string, string> };
  iCalUID: string;
  sequence: number;
  creator: { email: string; self: true };
  organizer: { email: string; self: true };
  eventType: "default";
}

export interface GoogleTime {
  date?: string;
  dateTime?: string;
  timeZone?: string;
}

export interface Calendar {
  events: Map<string, StoredGoogleEvent>;
  /** Ids of deleted events: such an id stays taken (an insert with it is answered 409). */
  deleted: Set<string>;
}

export interface AccessGrant {
  /** The user whose data the token reaches. */
  email: string;
  clientId: string;
  scopes: string[];
  expiresAt: number;
  /** How it was obtained: the delegated JWT grant or a user's own consent. */
  via: "delegation" | "user";
}

export interface RefreshGrant {
  email: string;
  clientId: string;
  scopes: string[];
  issuedAt: number;
}

export interface ServiceAccountKey {
  /** The JSON key file as the Cloud console downloads it. */
  file: Record<string, string>;
  publicKey: KeyObject;
  keyId: string;
}

export class GoogleState {
  readonly domains: WorkspaceDomain[];
  readonly webClients: WebClient[];
  readonly serviceAccount: GoogleSeed["serviceAccount"];
  /** domain → client id → scopes authorized in the Admin console. */
  readonly delegations = new Map<string, Map<string, string[]>>();
  readonly suspended = new Set<string>();
  readonly accessTokens = new Map<string, AccessGrant>();
  readonly refreshTokens = new Map<string, RefreshGrant>();
  readonly calendars = new Map<string, Calendar>();
  /** Authorization codes: one use, 10 minutes. */
  readonly codes = new Map<string, { email: string; clientId: string; scopes: string[]; redirectUri: string; codeChallenge?: string; codeChallengeMethod?: string; nonce?: string; offline: boolean; expiresAt: number }>();
  /** Sessions of the Admin console and the consent screen: cookie value → signed-in email. */
  readonly sessions = new Map<string, string>();

  constructor(seed: GoogleSeed) {
    this.domains = structuredClone(seed.domains);
    this.webClients = structuredClone(seed.webClients);
    this.serviceAccount = { ...seed.serviceAccount };
  }

  user(email: string): (WorkspaceUser & { domain: WorkspaceDomain }) | undefined {
    const lower = email.toLowerCase();
    for (const domain of this.domains) {
      const u = domain.users.find((x) => x.email.toLowerCase() === lower);
      if (u) return { ...u, domain };
    }
    return undefined;
  }

  domainOf(domainName: string): WorkspaceDomain | undefined {
    return this.domains.find((d) => d.domain === domainName.toLowerCase());
  }

  calendar(email: string): Calendar {
    const key = email.toLowerCase();
    let c = this.calendars.get(key);
    if (!c) {
      c = { events: new Map(), deleted: new Set() };
      this.calendars.set(key, c);
    }
    return c;
  }

  /** The scopes the domain's admin authorized for a client id, or undefined. */
  delegatedScopes(domain: string, clientId: string): string[] | undefined {
    return this.delegations.get(domain)?.get(clientId);
  }

  authorizeDelegation(domain: string, clientId: string, scopes: string[]): void {
    let m = this.delegations.get(domain);
    if (!m) {
      m = new Map();
      this.delegations.set(domain, m);
    }
    m.set(clientId, [...new Set(scopes)]);
  }

  /** Deleting a client from the Admin console's list ends its delegation; tokens already issued through it stop working. */
  withdrawDelegation(domain: string, clientId: string): boolean {
    const removed = this.delegations.get(domain)?.delete(clientId) ?? false;
    for (const [token, grant] of this.accessTokens) {
      if (grant.via === "delegation" && grant.clientId === clientId && this.user(grant.email)?.domain.domain === domain) this.accessTokens.delete(token);
    }
    return removed;
  }

  setSuspended(email: string, suspended: boolean): void {
    const lower = email.toLowerCase();
    if (suspended) {
      this.suspended.add(lower);
      for (const [token, grant] of this.accessTokens) if (grant.email === lower) this.accessTokens.delete(token);
      for (const [token, grant] of this.refreshTokens) if (grant.email === lower) this.refreshTokens.delete(token);
    } else this.suspended.delete(lower);
  }

  issueAccessToken(grant: AccessGrant): string {
    const token = `ya29.sandbox-${randomBytes(24).toString("base64url")}`;
    this.accessTokens.set(token, { ...grant, email: grant.email.toLowerCase() });
    return token;
  }

  issueRefreshToken(grant: RefreshGrant): string {
    const token = `1//sandbox-${randomBytes(24).toString("base64url")}`;
    this.refreshTokens.set(token, { ...grant, email: grant.email.toLowerCase() });
    return token;
  }

  reset(): void {
    this.delegations.clear();
    this.suspended.clear();
    this.accessTokens.clear();
    this.refreshTokens.clear();
    this.calendars.clear();
    this.codes.clear();
    this.sessions.clear();
  }
}

/**
 * The service account's key, made on first start in `<dataDir>/google/` and reused: a JSON key
 * file of the Cloud console's shape, whose `token_uri` names this stand-in's token endpoint.
 */
export function loadOrCreateServiceAccountKey(dataDir: string, account: GoogleSeed["serviceAccount"], tokenUri: string): ServiceAccountKey & { path: string } {
  const dir = join(dataDir, "google");
  const pemPath = join(dir, "service-account-key.pem");
  mkdirSync(dir, { recursive: true });
  let pem: string;
  if (existsSync(pemPath)) pem = readFileSync(pemPath, "utf8");
  else {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    writeFileSync(pemPath, pem, { mode: 0o600 });
  }
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  const keyId = Buffer.from(String(publicKey.export({ format: "jwk" }).n)).toString("hex").slice(0, 40);
  const file = {
    type: "service_account",
    project_id: account.projectId,
    private_key_id: keyId,
    private_key: pem,
    client_email: account.email,
    client_id: account.clientId,
    auth_uri: "https://accounts.google.com/o/oauth2/auth",
    token_uri: tokenUri,
    auth_provider_x509_cert_url: "https://www.googleapis.com/oauth2/v1/certs",
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(account.email)}`,
    universe_domain: "googleapis.com",
  };
  const path = join(dir, "service-account.json");
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  return { file, publicKey, keyId, path };
}
