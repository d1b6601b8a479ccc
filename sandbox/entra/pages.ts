// The interactive pages of the sign-in service: pick an account, consent, "need admin approval",
// and error pages. Plain HTML forms so a test can drive them with fetch and a person with a browser.
import { escapeHtml } from "../http-types.ts";
import type { DirectoryUser } from "../store.ts";
import { GRAPH_PERMISSIONS } from "./scopes.ts";

export type Locale = "ja" | "en";

export function pickLocale(uiLocales: string | null, acceptLanguage: string | undefined): Locale {
  const wanted = `${uiLocales ?? ""},${acceptLanguage ?? ""}`.toLowerCase();
  const first = wanted.split(/[,\s;]+/).find((t) => /^[a-z]{2}/.test(t));
  return first?.startsWith("ja") ? "ja" : "en";
}

type Strings = Record<
  | "signInTitle" | "pickAccount" | "orType" | "emailLabel" | "next" | "unknownUser" | "permissionsTitle" | "appWants"
  | "consentOrg" | "accept" | "cancel" | "unverified" | "needApproval" | "needApprovalText" | "haveAdmin"
  | "returnNoConsent" | "errorTitle" | "sandboxNote",
  string
>;

const T: Record<Locale, Strings> = {
  en: {
    signInTitle: "Sign in to your account",
    pickAccount: "Pick an account",
    orType: "Or type your account",
    emailLabel: "Email, phone, or Skype",
    next: "Next",
    unknownUser: "This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin.",
    permissionsTitle: "Permissions requested",
    appWants: "This app would like to:",
    consentOrg: "Consent on behalf of your organization",
    accept: "Accept",
    cancel: "Cancel",
    unverified: "unverified",
    needApproval: "Need admin approval",
    needApprovalText: "needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it.",
    haveAdmin: "Have an admin account? Sign in with that account",
    returnNoConsent: "Return to the application without granting consent",
    errorTitle: "Sorry, but we’re having trouble signing you in.",
    sandboxNote: "tripcal sandbox: a local stand-in for Microsoft Entra ID",
  },
  ja: {
    signInTitle: "アカウントにサインイン",
    pickAccount: "アカウントを選択する",
    orType: "または、アカウントを入力してください",
    emailLabel: "メール、電話、Skype",
    next: "次へ",
    unknownUser: "このユーザー名は正しくない可能性があります。正しく入力したことを確認してください。それ以外の場合は、管理者に問い合わせてください。",
    permissionsTitle: "要求されているアクセス許可",
    appWants: "このアプリが必要とするアクセス許可:",
    consentOrg: "組織を代表して同意する",
    accept: "承認",
    cancel: "キャンセル",
    unverified: "未確認",
    needApproval: "管理者の承認が必要",
    needApprovalText: "には、管理者のみが付与できる、組織内のリソースへのアクセス許可が必要です。このアプリを使用する前に、このアプリへのアクセス許可を付与するように管理者に依頼してください。",
    haveAdmin: "管理者アカウントをお持ちですか? そのアカウントでサインインしてください",
    returnNoConsent: "同意せずにアプリケーションに戻る",
    errorTitle: "申し訳ございませんが、サインイン中に問題が発生しました。",
    sandboxNote: "tripcal サンドボックス: Microsoft Entra ID のローカル代替",
  },
};

export function strings(locale: Locale): Strings {
  return T[locale];
}

function layout(locale: Locale, title: string, inner: string): string {
  return `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:"Segoe UI","Hiragino Sans",Meiryo,sans-serif;background:#f2f2f2;margin:0}
main{background:#fff;max-width:440px;margin:48px auto;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
h1{font-size:24px;font-weight:600;margin:0 0 16px}
.brand{color:#737373;font-size:15px;margin-bottom:16px}
.account{display:block;width:100%;text-align:left;padding:12px;margin:4px 0;border:1px solid #ddd;background:#fff;cursor:pointer;font-size:15px}
.account:hover{background:#f2f2f2}.account small{display:block;color:#555}
input[type=email],input[type=text]{width:100%;box-sizing:border-box;padding:8px;font-size:15px;border:0;border-bottom:1px solid #666}
.primary{background:#0067b8;color:#fff;border:0;padding:8px 24px;font-size:15px;cursor:pointer;margin-left:8px}
.secondary{background:#ccc;border:0;padding:8px 24px;font-size:15px;cursor:pointer}
.buttons{text-align:right;margin-top:24px}.error{color:#e81123}.perm{margin:8px 0}
footer{max-width:528px;margin:0 auto;color:#777;font-size:12px;text-align:center}
</style></head><body><main><div class="brand">Microsoft</div>${inner}</main>
<footer>${escapeHtml(T[locale].sandboxNote)}</footer></body></html>`;
}

export function hidden(name: string, value: string): string {
  return `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;
}

export interface SignInPageInput {
  locale: Locale;
  action: string;
  ctx: string;
  users: DirectoryUser[];
  loginHint?: string | null;
  error?: string;
}

export function signInPage(p: SignInPageInput): string {
  const t = T[p.locale];
  const accounts = p.users
    .map(
      (u) =>
        `<button class="account" type="submit" name="login" value="${escapeHtml(u.userPrincipalName)}"${
          p.loginHint && p.loginHint.toLowerCase() === u.userPrincipalName.toLowerCase() ? " autofocus" : ""
        } aria-label="${escapeHtml(
          `${u.displayName} ${u.userPrincipalName}`,
        )}">${escapeHtml(u.displayName)}<small>${escapeHtml(u.userPrincipalName)}</small></button>`,
    )
    .join("\n");
  const error = p.error ? `<p class="error" role="alert">${escapeHtml(p.error)}</p>` : "";
  return layout(
    p.locale,
    t.signInTitle,
    `<h1>${escapeHtml(t.pickAccount)}</h1>${error}
<form method="post" action="${escapeHtml(p.action)}">${hidden("ctx", p.ctx)}
${accounts}
</form>
<form method="post" action="${escapeHtml(p.action)}">${hidden("ctx", p.ctx)}
<p>${escapeHtml(t.orType)}</p>
<label for="typed_login">${escapeHtml(t.emailLabel)}</label>
<input id="typed_login" type="email" name="login" autocomplete="username" value="${escapeHtml(p.loginHint ?? "")}">
<div class="buttons"><button class="primary" type="submit">${escapeHtml(t.next)}</button></div>
</form>`,
  );
}

export interface ConsentPageInput {
  locale: Locale;
  action: string;
  ctx: string;
  appName: string;
  publisher: string;
  user: DirectoryUser;
  scopes: string[];
  /** Show the tenant-wide checkbox (admins only); checked and fixed on the admin-consent endpoint. */
  orgCheckbox: "none" | "optional" | "required";
}

export function consentPage(p: ConsentPageInput): string {
  const t = T[p.locale];
  const perms = p.scopes
    .map((s) => {
      const d = GRAPH_PERMISSIONS[s];
      return `<li class="perm"><strong>${escapeHtml(d ? d[p.locale] : s)}</strong> <small>(${escapeHtml(s)})</small></li>`;
    })
    .join("");
  const checkbox =
    p.orgCheckbox === "none"
      ? ""
      : `<p><input type="checkbox" id="consent_org" name="consent_org" value="true"${
          p.orgCheckbox === "required" ? " checked" : ""
        }><label for="consent_org">${escapeHtml(t.consentOrg)}</label></p>`;
  return layout(
    p.locale,
    t.permissionsTitle,
    `<p>${escapeHtml(p.user.userPrincipalName)}</p>
<h1>${escapeHtml(t.permissionsTitle)}</h1>
<p><strong>${escapeHtml(p.appName)}</strong><br><small>${escapeHtml(p.publisher)} (${escapeHtml(t.unverified)})</small></p>
<p>${escapeHtml(t.appWants)}</p><ul>${perms}</ul>
<form method="post" action="${escapeHtml(p.action)}">${hidden("ctx", p.ctx)}${hidden("login", p.user.userPrincipalName)}${hidden("step", "consent")}
${checkbox}
<div class="buttons"><button class="secondary" type="submit" name="decision" value="cancel">${escapeHtml(t.cancel)}</button><button class="primary" type="submit" name="decision" value="accept">${escapeHtml(t.accept)}</button></div>
</form>`,
  );
}

export function needAdminApprovalPage(p: {
  locale: Locale;
  action: string;
  ctx: string;
  appName: string;
  user: DirectoryUser;
  signInAgainUrl: string;
}): string {
  const t = T[p.locale];
  return layout(
    p.locale,
    t.needApproval,
    `<p>${escapeHtml(p.user.userPrincipalName)}</p>
<h1>${escapeHtml(t.needApproval)}</h1>
<p><strong>${escapeHtml(p.appName)}</strong> ${escapeHtml(t.needApprovalText)}</p>
<p><a href="${escapeHtml(p.signInAgainUrl)}">${escapeHtml(t.haveAdmin)}</a></p>
<form method="post" action="${escapeHtml(p.action)}">${hidden("ctx", p.ctx)}${hidden("login", p.user.userPrincipalName)}${hidden("step", "consent")}
<div class="buttons"><button class="secondary" type="submit" name="decision" value="cancel">${escapeHtml(t.returnNoConsent)}</button></div>
</form>`,
  );
}

export function errorPage(locale: Locale, description: string): string {
  const t = T[locale];
  return layout(
    locale,
    t.errorTitle,
    `<h1>${escapeHtml(t.errorTitle)}</h1><p class="error" role="alert">${escapeHtml(description)}</p>`,
  );
}
