// Shared test set-up: a sandbox on a random port in a temp folder, trusted by this process's
// fetch, and a "browser" that signs in through the sandbox's HTML forms with plain fetch.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import { ConfidentialClientApplication, CryptoProvider } from "@azure/msal-node";
import type { AuthenticationResult } from "@azure/msal-node";
import { startSandbox } from "../server.ts";
import type { Sandbox, SandboxConfig } from "../server.ts";

const trusted: string[] = [];

export interface TestSandbox extends Sandbox {
  dataDir: string;
  stop(): Promise<void>;
}

export async function startTestSandbox(config?: SandboxConfig, dataDir?: string): Promise<TestSandbox> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), "tripcal-sandbox-"));
  const sb = await startSandbox({ dataDir: dir, port: 0, config });
  if (!trusted.includes(sb.caPem)) {
    trusted.push(sb.caPem);
    tls.setDefaultCACertificates([...tls.getCACertificates("default"), ...trusted]);
  }
  return Object.assign(sb, {
    dataDir: dir,
    stop: async () => {
      await sb.close();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  });
}

export const REDIRECT_URI = "http://localhost:3000/oauth/outlook/callback";

interface FormData {
  action: string;
  fields: Record<string, string>;
}

/** The hidden fields of the first form on a page, plus its action. */
export function firstForm(page: string, baseUrl: string): FormData {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/.exec(page);
  if (!form) throw new Error(`no form on page: ${page.slice(0, 300)}`);
  const fields: Record<string, string> = {};
  for (const m of form[2]!.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    fields[m[1]!] = decodeEntities(m[2]!);
  }
  return { action: new URL(decodeEntities(form[1]!), baseUrl).toString(), fields };
}

function decodeEntities(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

export async function postForm(action: string, fields: Record<string, string>): Promise<Response> {
  return fetch(action, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
    redirect: "manual",
  });
}

/** Opens an authorize/adminconsent URL and signs in as `login`, like clicking the account button. */
export async function signIn(url: string, login: string): Promise<Response> {
  const page = await (await fetch(url)).text();
  const form = firstForm(page, url);
  return postForm(form.action, { ...form.fields, login });
}

/** Answers a consent page (admin consent or the authorize flow's consent prompt). */
export async function answerConsent(res: Response, baseUrl: string, decision: "accept" | "cancel", orgWide = true): Promise<Response> {
  const page = await res.text();
  const form = firstForm(page, baseUrl);
  return postForm(form.action, { ...form.fields, decision, ...(orgWide ? { consent_org: "true" } : {}) });
}

export function redirectParams(res: Response): URLSearchParams {
  const location = res.headers.get("location");
  if (!location) throw new Error(`expected a redirect, got ${res.status}`);
  return new URL(location).searchParams;
}

export const GRAPH_CALENDAR_SCOPES = ["https://graph.microsoft.com/Calendars.ReadWrite", "https://graph.microsoft.com/User.Read"];

export function msalApp(sb: Sandbox, tenant = "organizations"): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: {
      clientId: sb.app.clientId,
      clientSecret: sb.app.clientSecret,
      authority: sb.authority(tenant),
      knownAuthorities: [sb.knownAuthority],
    },
  });
}

/** The whole interactive authorization-code + PKCE flow through MSAL and the sign-in page. */
export async function connectWithMsal(
  sb: Sandbox,
  login: string,
  opts: { tenant?: string; scopes?: string[]; app?: ConfidentialClientApplication } = {},
): Promise<{ app: ConfidentialClientApplication; result: AuthenticationResult }> {
  const app = opts.app ?? msalApp(sb, opts.tenant);
  const scopes = opts.scopes ?? GRAPH_CALENDAR_SCOPES;
  const pkce = await new CryptoProvider().generatePkceCodes();
  const state = `state-${Math.random()}`;
  const url = await app.getAuthCodeUrl({ scopes, redirectUri: REDIRECT_URI, codeChallenge: pkce.challenge, codeChallengeMethod: "S256", state });
  const res = await signIn(url, login);
  const params = redirectParams(res);
  if (params.get("state") !== state) throw new Error("state not returned");
  const code = params.get("code");
  if (!code) throw new Error(`no code: ${params.get("error_description")}`);
  const result = await app.acquireTokenByCode({ code, scopes, redirectUri: REDIRECT_URI, codeVerifier: pkce.verifier });
  return { app, result };
}
