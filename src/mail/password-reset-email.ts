// The email with a one-use link that sets a new password, in the user's language.
import type { SendMailOptions } from 'nodemailer';
import type { Locale } from '../domain/types.ts';
import { messages } from '../i18n/messages.ts';
import { escapeHtml } from './render-itinerary-email.ts';

export function composePasswordReset(user: { displayName: string; email: string; locale: Locale }, args: { url: string; validMinutes: number; from: { name: string; address: string } }): SendMailOptions {
  const t = messages(user.locale).access;
  const lines = t.resetBody(user.displayName, args.url, args.validMinutes);
  return {
    from: args.from,
    to: { name: user.displayName, address: user.email },
    subject: t.resetSubject,
    text: lines.join('\n\n'),
    html: `<!doctype html><html lang="${user.locale}"><body>${lines.map((l) => `<p>${escapeHtml(l).replace(escapeHtml(args.url), `<a href="${escapeHtml(args.url)}">${escapeHtml(args.url)}</a>`)}</p>`).join('')}</body></html>`,
    headers: { 'Auto-Submitted': 'auto-generated' },
  };
}
