// Sandbox configuration: the seed (tenants, users, app registrations) plus limits. Extra tenants and
// apps come from `config.seed` or from `<dataDir>/sandbox-config.json` (same shape as SandboxConfig).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_SEED } from "./seed.ts";
import type { SandboxSeed, SeedApp, SeedTenant } from "./seed.ts";

export interface ThrottleConfig {
  /** Concurrent requests per app and mailbox (Outlook: 4). */
  mailboxConcurrency: number;
  /** Requests per app and mailbox in a 10-minute window (Outlook: 10,000). */
  requestsPerTenMinutes: number;
  /**
   * How a `$batch`'s items reach the mailbox. "all-at-once" (default, the stricter): every item
   * without a dependency starts together, so a sixth item to one mailbox meets MailboxConcurrency's
   * 429. "four-at-a-time": Graph dispatches at most 4 items of a batch at once and the rest wait
   * their turn, as Microsoft describes it; requests outside the batch still count against the mailbox.
   */
  batchDispatch: BatchDispatch;
}

export const BATCH_DISPATCH_MODES = ["all-at-once", "four-at-a-time"] as const;
export type BatchDispatch = (typeof BATCH_DISPATCH_MODES)[number];

export interface SandboxConfig {
  /** Added to the default seed (or replacing it when replaceDefaultSeed is true). */
  seed?: Partial<SandboxSeed>;
  replaceDefaultSeed?: boolean;
  throttle?: Partial<ThrottleConfig>;
  /** Access-token lifetime in seconds (default 3600). */
  accessTokenLifetimeSeconds?: number;
  /** Refresh-token inactivity limit in days (default 90, AADSTS700082). */
  refreshTokenIdleDays?: number;
  /** Write state (consents, refresh tokens, mailboxes) to dataDir; default true. */
  persist?: boolean;
}

export interface ResolvedConfig {
  apps: SeedApp[];
  tenants: SeedTenant[];
  consents: Array<{ tenantId: string; clientId: string; scopes: string[] }>;
  throttle: ThrottleConfig;
  accessTokenLifetimeSeconds: number;
  refreshTokenIdleDays: number;
  persist: boolean;
}

function readFileConfig(dataDir: string): SandboxConfig {
  const path = join(dataDir, "sandbox-config.json");
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, "utf8")) as SandboxConfig;
  } catch (err) {
    throw new Error(`sandbox: ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

export function resolveConfig(dataDir: string, given: SandboxConfig | undefined): ResolvedConfig {
  const layers = [readFileConfig(dataDir), given ?? {}];
  const replace = layers.some((l) => l.replaceDefaultSeed);
  const apps: SeedApp[] = replace ? [] : structuredClone(DEFAULT_SEED.apps);
  const tenants: SeedTenant[] = replace ? [] : structuredClone(DEFAULT_SEED.tenants);
  const consents = replace ? [] : structuredClone(DEFAULT_SEED.consents ?? []);
  const throttle: ThrottleConfig = { mailboxConcurrency: 4, requestsPerTenMinutes: 10_000, batchDispatch: "all-at-once" };
  let accessTokenLifetimeSeconds = 3600;
  let refreshTokenIdleDays = 90;
  let persist = true;
  for (const layer of layers) {
    for (const app of layer.seed?.apps ?? []) {
      const i = apps.findIndex((a) => a.clientId === app.clientId);
      if (i >= 0) apps[i] = app;
      else apps.push(app);
    }
    for (const tenant of layer.seed?.tenants ?? []) {
      const i = tenants.findIndex((t) => t.id === tenant.id);
      if (i >= 0) tenants[i] = tenant;
      else tenants.push(tenant);
    }
    consents.push(...(layer.seed?.consents ?? []));
    Object.assign(throttle, layer.throttle ?? {});
    accessTokenLifetimeSeconds = layer.accessTokenLifetimeSeconds ?? accessTokenLifetimeSeconds;
    refreshTokenIdleDays = layer.refreshTokenIdleDays ?? refreshTokenIdleDays;
    persist = layer.persist ?? persist;
  }
  return { apps, tenants, consents, throttle, accessTokenLifetimeSeconds, refreshTokenIdleDays, persist };
}
