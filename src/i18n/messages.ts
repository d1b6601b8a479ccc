// The server's user-facing words, one catalogue per language (en.ts, ja.ts): everything an email,
// a calendar event or an error message of the web API says to a person. The booking API's errors
// are for the booking engine's developers and stay in English where they are raised. Plain data
// and small pure functions that import nothing of ours, so every layer, the domain included, may
// use them.
//
// en.ts gives the shape and ja.ts is typed by it, so a key missing or extra in either language,
// or a message of another type, does not type-check. To add a group: add it, with the same keys,
// to both files (`calendars: { syncOff: '…', … }`), then read it as `messages(locale).calendars`.
import { en } from './en.ts';
import { ja } from './ja.ts';

export type Messages = typeof en;
export type { CalendarNames } from './en.ts';

export const MESSAGES: Readonly<{ ja: Messages; en: Messages }> = { ja, en };

/** The languages the server speaks; a user's Locale (domain/types.ts) must be one of them. */
export type MessageLocale = keyof typeof MESSAGES;

/** The catalogue of one language. */
export function messages(locale: MessageLocale): Messages {
  return MESSAGES[locale];
}
