// The HTML pages a person meets at Google, reduced to what the product's flows need: the account
// chooser (no passwords: pick an account), the OAuth consent screen (ja/en), and the Admin
// console's domain-wide delegation page (Security → Access and data control → API controls →
// Manage domain-wide delegation), where a super administrator authorizes a client id for scopes.
import { escapeHtml, html } from "../http-types.ts";
import type { SbResponse } from "../http-types.ts";
import type { WorkspaceDomain } from "./seed.ts";

type Lang = "ja" | "en";

const WORDS = {
  ja: {
    choose: "アカウントの選択", continueTo: "続行先", wants: "がGoogleアカウントへのアクセスをリクエストしています", allow: "許可", cancel: "キャンセル",
    scopes: { "https://www.googleapis.com/auth/calendar.events": "Googleカレンダーの予定の表示と編集", "https://www.googleapis.com/auth/calendar": "Googleカレンダーを使用してアクセスできるすべてのカレンダーの表示、編集、共有、完全な削除", openid: "Googleでの個人情報とのユーザーの関連付け", email: "メインのGoogleアカウントのメールアドレスの参照", profile: "個人情報の表示" } as Record<string, string>,
  },
  en: {
    choose: "Choose an account", continueTo: "to continue to", wants: " wants to access your Google Account", allow: "Allow", cancel: "Cancel",
    scopes: { "https://www.googleapis.com/auth/calendar.events": "View and edit events on all your calendars", "https://www.googleapis.com/auth/calendar": "See, edit, share, and permanently delete all the calendars you can access using Google Calendar", openid: "Associate you with your personal info on Google", email: "See your primary Google Account email address", profile: "See your personal info" } as Record<string, string>,
  },
};

function page(lang: Lang, title: string, body: string): SbResponse {
  return html(200, `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`);
}

function hidden(fields: Record<string, string>): string {
  return Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join("");
}

export function errorPage(lang: Lang, status: number, title: string, detail: string): SbResponse {
  return { ...page(lang, title, `<p role="alert">${escapeHtml(detail)}</p>`), status };
}

/** The account chooser: one button per account; `continue` is where the choice returns to. */
export function accountChooser(lang: Lang, accounts: Array<{ email: string; name: string }>, continueUrl: string, appName?: string): SbResponse {
  const w = WORDS[lang];
  const buttons = accounts.map((a) => `<form method="post" action="/ServiceLogin">${hidden({ continue: continueUrl, email: a.email })}<button type="submit" name="account" value="${escapeHtml(a.email)}">${escapeHtml(a.name)} &lt;${escapeHtml(a.email)}&gt;</button></form>`).join("");
  return page(lang, w.choose, `${appName ? `<p>${escapeHtml(w.continueTo)} ${escapeHtml(appName)}</p>` : ""}${buttons}`);
}

export function consentPage(lang: Lang, appName: string, email: string, scopes: string[], fields: Record<string, string>): SbResponse {
  const w = WORDS[lang];
  const items = scopes.map((s) => `<li>${escapeHtml(w.scopes[s] ?? s)}</li>`).join("");
  return page(lang, `${appName}${w.wants}`, `<p>${escapeHtml(email)}</p><ul>${items}</ul><form method="post" action="/o/oauth2/v2/auth/consent">${hidden(fields)}<button type="submit" name="decision" value="allow">${escapeHtml(w.allow)}</button><button type="submit" name="decision" value="deny">${escapeHtml(w.cancel)}</button></form>`);
}

export function delegationPage(domain: WorkspaceDomain, admin: string, clients: Array<{ clientId: string; scopes: string[] }>, message?: string): SbResponse {
  const rows = clients.map((c) => `<tr><td>${escapeHtml(c.clientId)}</td><td>${c.scopes.map(escapeHtml).join("<br>")}</td><td><form method="post" action="/ac/owl/domainwidedelegation">${hidden({ action: "delete", client_id: c.clientId })}<button type="submit">Delete</button></form></td></tr>`).join("");
  return page("en", "Domain-wide delegation", `<p>${escapeHtml(domain.displayName)} (${escapeHtml(domain.domain)}), signed in as ${escapeHtml(admin)}</p>${message ? `<p role="status">${escapeHtml(message)}</p>` : ""}
<table><thead><tr><th>Client ID</th><th>Scopes</th><th></th></tr></thead><tbody>${rows}</tbody></table>
<h2>Add a new client ID</h2><form method="post" action="/ac/owl/domainwidedelegation">${hidden({ action: "add" })}<label>Client ID <input name="client_id" required></label><label>OAuth scopes (comma-delimited) <input name="scopes" required></label><button type="submit">Authorize</button></form>`);
}
