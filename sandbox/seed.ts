// The demo company the sandbox starts with. The product's seed and tests use these ids; they are
// repeated in sandbox/README.md. GUIDs are fixed so MSAL cache keys and stored ids survive restarts.

export interface SeedUser {
  /** Object id (oid); also the Graph user id and the mailbox id. */
  id: string;
  userPrincipalName: string;
  displayName: string;
  givenName: string;
  surname: string;
  /** Holds an Entra role that may grant tenant-wide admin consent. */
  isAdmin: boolean;
  preferredLanguage?: string;
  /**
   * The user's `mail` attribute, where it is not their UPN. A user without an Exchange mailbox may
   * set it to any address, verified by nobody: the id token's `email` claim carries it.
   */
  mail?: string;
}

export interface SeedTenant {
  id: string;
  displayName: string;
  domain: string;
  users: SeedUser[];
}

export interface SeedApp {
  clientId: string;
  clientSecret: string;
  /** Name of the app registration. */
  displayName: string;
  /** Name shown on the consent page. */
  consentDisplayName: string;
  publisher: string;
  /**
   * The registered redirect URIs. A request's redirect URI must be one of them exactly (path and
   * its case included); only the port of an http://localhost or http://127.0.0.1 one is ignored.
   */
  redirectUris: string[];
  /** Graph permissions configured on the registration ("/.default"); default User.Read + Calendars.ReadWrite. */
  requiredScopes?: string[];
}

export interface SandboxSeed {
  apps: SeedApp[];
  tenants: SeedTenant[];
  /** Tenants that have already granted admin consent: tenant id -> client id -> scopes. */
  consents?: Array<{ tenantId: string; clientId: string; scopes: string[] }>;
}

export const TRIPCAL_APP: SeedApp = {
  clientId: "3f6c1a52-8d4e-4b7a-9c21-5e0f7d2b9a14",
  clientSecret: "sandbox-secret~tripcal.Outlook.Integration.0001",
  displayName: "tripcal Outlook Integration",
  consentDisplayName: "Outlook Integration",
  publisher: "tripcal",
  // tripcal's callbacks (calendar connect, admin consent, sign-in with Microsoft), as a deployment
  // on localhost registers them (any port).
  redirectUris: ["localhost", "127.0.0.1"].flatMap((host) =>
    ["callback", "consent-callback", "sign-in-callback"].map((path) => `http://${host}/oauth/outlook/${path}`),
  ),
};

export const SAKURA_TRADING: SeedTenant = {
  id: "7d1c2b8e-4f3a-4e6b-9a5d-2c8f1e0b6a31",
  displayName: "Sakura Trading",
  domain: "sakura-trading.example",
  users: [
    {
      id: "a1e5c0d2-3b4f-4a6e-8c9d-0f1e2d3c4b01",
      userPrincipalName: "it-admin@sakura-trading.example",
      displayName: "IT Admin",
      givenName: "IT",
      surname: "Admin",
      isAdmin: true,
      preferredLanguage: "ja-JP",
    },
    {
      id: "a1e5c0d2-3b4f-4a6e-8c9d-0f1e2d3c4b02",
      userPrincipalName: "hanako.sato@sakura-trading.example",
      displayName: "佐藤 花子",
      givenName: "花子",
      surname: "佐藤",
      isAdmin: false,
      preferredLanguage: "ja-JP",
    },
    {
      id: "a1e5c0d2-3b4f-4a6e-8c9d-0f1e2d3c4b03",
      userPrincipalName: "taro.yamada@sakura-trading.example",
      displayName: "山田 太郎",
      givenName: "太郎",
      surname: "山田",
      isAdmin: false,
      preferredLanguage: "ja-JP",
    },
    {
      id: "a1e5c0d2-3b4f-4a6e-8c9d-0f1e2d3c4b04",
      userPrincipalName: "emily.clark@sakura-trading.example",
      displayName: "Emily Clark",
      givenName: "Emily",
      surname: "Clark",
      isAdmin: false,
      preferredLanguage: "en-US",
    },
  ],
};

export const MAPLE_LOGISTICS: SeedTenant = {
  id: "c4b9e6f1-2a7d-4c3e-b8f0-9d6a5e4c3b72",
  displayName: "Maple Logistics",
  domain: "maple-logistics.example",
  users: [
    {
      id: "b2f6d1e3-4c5a-4b7f-9d0e-1a2b3c4d5e01",
      userPrincipalName: "admin@maple-logistics.example",
      displayName: "Maple Admin",
      givenName: "Maple",
      surname: "Admin",
      isAdmin: true,
      preferredLanguage: "en-US",
    },
    {
      id: "b2f6d1e3-4c5a-4b7f-9d0e-1a2b3c4d5e02",
      userPrincipalName: "ken.ito@maple-logistics.example",
      displayName: "伊藤 健",
      givenName: "健",
      surname: "伊藤",
      isAdmin: false,
      preferredLanguage: "ja-JP",
    },
  ],
};

/** The seed the sandbox starts with unless a config says otherwise. Admin consent: none. */
export const DEFAULT_SEED: SandboxSeed = {
  apps: [TRIPCAL_APP],
  tenants: [SAKURA_TRADING, MAPLE_LOGISTICS],
  consents: [],
};

/** Microsoft Graph's resource URI and app id. */
export const GRAPH_RESOURCE = "https://graph.microsoft.com";
export const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
