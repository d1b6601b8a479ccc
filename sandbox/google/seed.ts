// The Google Workspace organisations, the Cloud project's OAuth clients and its service account the
// Google stand-in starts with. The Workspace domain of the demo company is the demo company's own
// (sakura-trading.example), so the product's seeded users are its users.

export interface WorkspaceUser {
  /** The primary email address: what `sub` names in a delegated grant and what "primary" resolves to. */
  email: string;
  name: string;
  /** A super administrator may use the Admin console's domain-wide delegation page. */
  superAdmin: boolean;
  locale: "ja" | "en";
}

export interface WorkspaceDomain {
  domain: string;
  /** Google's customer id of the Workspace account ("C0…"). */
  customerId: string;
  displayName: string;
  users: WorkspaceUser[];
}

/** An OAuth client of type "Web application" (per-user sign-in). */
export interface WebClient {
  clientId: string;
  clientSecret: string;
  /** Exact redirect URIs; http://localhost:* and http://127.0.0.1:* are always allowed, as Google allows them for development. */
  redirectUris: string[];
  name: string;
}

/** The service account whose client id a Workspace admin authorizes for domain-wide delegation. */
export interface ServiceAccountSeed {
  /** The numeric "unique id", also the OAuth client id the Admin console takes. */
  clientId: string;
  email: string;
  projectId: string;
}

export const TRIPCAL_WEB_CLIENT: WebClient = {
  clientId: "730145628815-tripcal0sandbox0web0client.apps.googleusercontent.com",
  clientSecret: "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001",
  redirectUris: [],
  name: "tripcal",
};

export const TRIPCAL_SERVICE_ACCOUNT: ServiceAccountSeed = {
  clientId: "104857203948571029384",
  email: "tripcal-calendar-sync@tripcal-sandbox.iam.gserviceaccount.com",
  projectId: "tripcal-sandbox",
};

export const SAKURA_WORKSPACE: WorkspaceDomain = {
  domain: "sakura-trading.example",
  customerId: "C03sakura1",
  displayName: "Sakura Trading",
  users: [
    { email: "it-admin@sakura-trading.example", name: "IT Admin", superAdmin: true, locale: "ja" },
    { email: "hanako.sato@sakura-trading.example", name: "佐藤 花子", superAdmin: false, locale: "ja" },
    { email: "taro.yamada@sakura-trading.example", name: "山田 太郎", superAdmin: false, locale: "ja" },
    { email: "emily.clark@sakura-trading.example", name: "Emily Clark", superAdmin: false, locale: "en" },
  ],
};

export const MAPLE_WORKSPACE: WorkspaceDomain = {
  domain: "maple-logistics.example",
  customerId: "C04maple01",
  displayName: "Maple Logistics",
  users: [
    { email: "admin@maple-logistics.example", name: "Maple Admin", superAdmin: true, locale: "en" },
    { email: "ken.ito@maple-logistics.example", name: "伊藤 健", superAdmin: false, locale: "ja" },
  ],
};

export interface GoogleSeed {
  domains: WorkspaceDomain[];
  webClients: WebClient[];
  serviceAccount: ServiceAccountSeed;
}

export const DEFAULT_GOOGLE_SEED: GoogleSeed = {
  domains: [SAKURA_WORKSPACE, MAPLE_WORKSPACE],
  webClients: [TRIPCAL_WEB_CLIENT],
  serviceAccount: TRIPCAL_SERVICE_ACCOUNT,
};

/** The scope of read/write access to events ("Calendar API scopes"). */
export const CALENDAR_EVENTS_SCOPE = "https://www.googleapis.com/auth/calendar.events";
/** Full calendar access; it includes events. */
export const CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar";
