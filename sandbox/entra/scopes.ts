// Scope strings as MSAL and apps send them: "openid profile offline_access
// https://graph.microsoft.com/Calendars.ReadWrite", short Graph names, or "<resource>/.default".
import { GRAPH_APP_ID, GRAPH_RESOURCE } from "../seed.ts";

export const OIDC_SCOPES = new Set(["openid", "profile", "email", "offline_access"]);

/** Graph permissions a user may consent to alone. Everything else needs an admin in our tenants. */
export const USER_CONSENTABLE = new Set(["user.read"]);

/** The Graph delegated permissions the sandbox knows, with consent-page descriptions. */
export const GRAPH_PERMISSIONS: Record<string, { en: string; ja: string }> = {
  "User.Read": { en: "Sign in and read user profile", ja: "サインインとユーザー プロファイルの読み取り" },
  "Calendars.ReadWrite": { en: "Have full access to user calendars", ja: "ユーザーの予定表へのフル アクセス" },
  "Calendars.Read": { en: "Read user calendars", ja: "ユーザーの予定表の読み取り" },
};

const KNOWN = new Map(Object.keys(GRAPH_PERMISSIONS).map((k) => [k.toLowerCase(), k]));

export interface ParsedScopes {
  oidc: string[];
  /** Canonical short Graph names ("Calendars.ReadWrite"). */
  graph: string[];
  /** Whether "<graph>/.default" was asked. */
  graphDefault: boolean;
  /** Scopes as the client wrote them, minus offline_access (echoed back in the token response). */
  echo: string[];
  unknown: string[];
}

export function parseScopes(scope: string | null): ParsedScopes {
  const out: ParsedScopes = { oidc: [], graph: [], graphDefault: false, echo: [], unknown: [] };
  for (const raw of (scope ?? "").split(/\s+/).filter(Boolean)) {
    const lower = raw.toLowerCase();
    if (OIDC_SCOPES.has(lower)) {
      out.oidc.push(lower);
      if (lower !== "offline_access") out.echo.push(lower);
      continue;
    }
    let name = raw;
    for (const prefix of [`${GRAPH_RESOURCE}/`, `${GRAPH_APP_ID}/`, "https://graph.microsoft.com//"]) {
      if (lower.startsWith(prefix)) name = raw.slice(prefix.length);
    }
    if (name === ".default") {
      out.graphDefault = true;
      out.echo.push(raw);
      continue;
    }
    const known = KNOWN.get(name.toLowerCase());
    if (known && !name.includes("/")) {
      if (!out.graph.includes(known)) out.graph.push(known);
      out.echo.push(raw);
    } else {
      out.unknown.push(raw);
    }
  }
  return out;
}

export function needsAdmin(graphScopes: string[]): string[] {
  return graphScopes.filter((s) => !USER_CONSENTABLE.has(s.toLowerCase()));
}
