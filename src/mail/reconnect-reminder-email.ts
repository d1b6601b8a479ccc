// The reminder a traveler gets some days before their company's log-in rule would lapse their
// Outlook connection: log in to the OBT once and nothing lapses.
import type { SendMailOptions } from 'nodemailer';
import type { Locale, User } from '../domain/types.ts';
import { escapeHtml } from './render-itinerary-email.ts';

const TEXTS: Record<Locale, { subject: string; body: (name: string, days: number, date: string, url: string) => string[] }> = {
  ja: {
    subject: '【ご確認ください】Outlookカレンダー連携の有効期限が近づいています',
    body: (name, days, date, url) => [
      `${name} 様`,
      `会社の設定により、OBTに${days}日間ログインしていない場合、Outlookカレンダーとの接続は期限切れになります。`,
      `${date}までにOBTにログインしてください: ${url}`,
      '期限が切れた場合も旅程メールとカレンダーファイル(.ics)は引き続き届きます。ホーム画面の「Outlookカレンダーと接続」から再接続できます。',
    ],
  },
  en: {
    subject: 'Your Outlook calendar connection will expire soon',
    body: (name, days, date, url) => [
      `Dear ${name},`,
      `Your company's settings end the Outlook calendar connection of anyone who has not logged in to the OBT for ${days} days.`,
      `Log in before ${date} to keep it: ${url}`,
      'If it expires, itinerary emails with calendar files (.ics) keep coming, and you can reconnect with "Connect to Outlook calendar" on the home screen.',
    ],
  },
};

export function composeReconnectReminder(user: User, args: { policyDays: number; deadline: Date; from: { name: string; address: string }; publicUrl: string }): SendMailOptions {
  const t = TEXTS[user.locale];
  const date = new Intl.DateTimeFormat(user.locale === 'ja' ? 'ja-JP' : 'en-US', { dateStyle: 'long', timeZone: user.timeZone }).format(args.deadline);
  const lines = t.body(user.displayName, args.policyDays, date, args.publicUrl);
  return {
    from: args.from,
    to: { name: user.displayName, address: user.email },
    subject: t.subject,
    text: lines.join('\n\n'),
    html: `<!doctype html><html lang="${user.locale}"><body>${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}</body></html>`,
    headers: { 'Auto-Submitted': 'auto-generated' },
  };
}
