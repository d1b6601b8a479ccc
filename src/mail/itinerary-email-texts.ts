// The words of the itinerary email, in Japanese and English. The Outlook button's name is the
// home-screen label from mission/labels.md, word for word, so the traveler finds it on screen.
import type { ChangeKind, Locale } from '../domain/types.ts';

export type SegmentMark = 'added' | 'changed' | 'cancelled';

export interface ItineraryEmailTexts {
  subject: (kind: ChangeKind, trip: { title?: string; bookingRef: string }) => string;
  greeting: (displayName: string) => string;
  intro: Record<ChangeKind, string>;
  bookingReference: string;
  viewTrip: string;
  marks: Record<SegmentMark, string>;
  calendarFile: { update: string; cancel: string };
  outlookReconnect: string[];
  footer: string;
}

/** Label of the home-screen prompt (labels.md, "home screen"). */
export const CONNECT_TO_OUTLOOK: Readonly<Record<Locale, string>> = {
  ja: 'Outlookカレンダーと接続',
  en: 'Connect to Outlook calendar',
};

export const ITINERARY_EMAIL_TEXTS: Readonly<Record<Locale, ItineraryEmailTexts>> = {
  ja: {
    subject: (kind, trip) => {
      const name = trip.title ? `${trip.title}(予約番号 ${trip.bookingRef})` : `予約番号 ${trip.bookingRef}`;
      const prefix = { created: '【旅程のご案内】', changed: '【旅程変更のお知らせ】', cancelled: '【キャンセルのお知らせ】' }[kind];
      return `${prefix}${name}`;
    },
    greeting: (name) => `${name} 様`,
    intro: {
      created: 'ご予約が確定しました。旅程は以下のとおりです。',
      changed: 'ご予約の内容が変更されました。変更のあった予定には印を付けています。',
      cancelled: '以下の旅程はキャンセルされました。',
    },
    bookingReference: '予約番号',
    viewTrip: '旅程を表示',
    marks: { added: '追加', changed: '変更', cancelled: 'キャンセル' },
    calendarFile: {
      update:
        '添付のカレンダーファイル(.ics)を開くと、予定がカレンダーに追加されます。変更後に届くファイルは、同じ予定を重複させずに更新します。',
      cancel: '添付のカレンダーファイル(.ics)を開くと、キャンセルされた予定がカレンダーから削除されます。',
    },
    outlookReconnect: [
      'Outlookカレンダーとの接続の有効期限が切れたため、この旅程をOutlookカレンダーに自動で反映できませんでした。',
      `再接続するには、ホーム画面で「${CONNECT_TO_OUTLOOK.ja}」を選択してください。`,
      'それまでの間も、添付のカレンダーファイル(.ics)を開けば予定を追加・更新できます。',
    ],
    footer: 'このメールは送信専用です。',
  },
  en: {
    subject: (kind, trip) => {
      const name = trip.title ? `${trip.title} (booking ${trip.bookingRef})` : `booking ${trip.bookingRef}`;
      const prefix = { created: 'Your itinerary', changed: 'Itinerary changed', cancelled: 'Trip cancelled' }[kind];
      return `${prefix}: ${name}`;
    },
    greeting: (name) => `Dear ${name},`,
    intro: {
      created: 'Your trip is booked. Here is your itinerary.',
      changed: 'Your booking has changed. What changed is marked below.',
      cancelled: 'The trip below has been cancelled.',
    },
    bookingReference: 'Booking reference',
    viewTrip: 'View your trip',
    marks: { added: 'Added', changed: 'Changed', cancelled: 'Cancelled' },
    calendarFile: {
      update:
        'Open the attached calendar file (.ics) to add these bookings to your calendar. A file sent after a change updates the same events instead of adding new ones.',
      cancel: 'Open the attached calendar file (.ics) to remove the cancelled bookings from your calendar.',
    },
    outlookReconnect: [
      'Your Outlook calendar connection has expired, so this trip could not be updated in your Outlook calendar automatically.',
      `To reconnect, choose "${CONNECT_TO_OUTLOOK.en}" on the home screen.`,
      'Until then, the attached calendar file (.ics) keeps working: open it to add or update the events.',
    ],
    footer: 'This is an automated message; replies are not read.',
  },
};
