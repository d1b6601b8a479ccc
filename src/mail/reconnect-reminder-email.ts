// The reminder a traveler gets some days before their company's log-in rule would lapse their
// calendar connection: log in to the OBT once and nothing lapses.
import type { SendMailOptions } from 'nodemailer';
import type { User } from '../domain/types.ts';
import { messages, type CalendarNames } from '../i18n/messages.ts';
import { escapeHtml } from './render-itinerary-email.ts';

export function composeReconnectReminder(user: User, args: { policyDays: number; deadline: Date; from: { name: string; address: string }; publicUrl: string; calendar: CalendarNames }): SendMailOptions {
  const t = messages(user.locale).reconnectReminder;
  const lines = t.body(user.displayName, args.policyDays, t.deadline(args.deadline, user.timeZone), args.publicUrl, args.calendar);
  return {
    from: args.from,
    to: { name: user.displayName, address: user.email },
    subject: t.subject(args.calendar),
    text: lines.join('\n\n'),
    html: `<!doctype html><html lang="${user.locale}"><body>${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}</body></html>`,
    headers: { 'Auto-Submitted': 'auto-generated' },
  };
}
