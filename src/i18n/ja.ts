// The server's words in Japanese: the same keys as en.ts (`Messages`), written for Japanese
// readers rather than word for word.
import type { Messages } from './messages.ts';

const WEEKDAYS = ['月', '火', '水', '木', '金', '土', '日'];

export const ja: Messages = {
  common: {
    bookingReference: '予約番号',
  },

  session: {
    signedOut: 'ログインしてください。',
    adminOnly: 'この操作は会社の管理者のみ行えます。',
    loginFailed: 'メールアドレスまたはパスワードが正しくありません。',
  },

  calendars: {
    syncOff: '会社のカレンダー同期がオンになっていません。',
    badState: 'この接続リンクは無効か、期限切れか、既に使用されています。もう一度お試しください。',
    noProvider: 'このカレンダーは利用できません。',
  },

  trips: {
    notFound: '旅程が見つかりません。',
  },

  companySettings: {
    keepCancelledEvents: 'keepCancelledEvents: キャンセルされた予約をカレンダーに残すかどうか(true または false)を指定してください。',
    unknownField: (field) => `${field}: 会社の設定にはない項目です。`,
  },

  segment: {
    flight: '便',
    operatedBy: '運航会社',
    departure: '出発',
    arrival: '到着',
    terminal: (terminal) => `ターミナル${terminal}`,
    seat: '座席',
    cabin: 'クラス',
    recordLocator: '航空会社予約番号',
    hotel: 'ホテル',
    hotelSummary: '宿泊',
    address: '住所',
    phone: '電話番号',
    checkIn: 'チェックイン',
    checkOut: 'チェックアウト',
    confirmation: '確認番号',
    carSummary: 'レンタカー',
    carVendor: 'レンタカー会社',
    pickUp: '貸出',
    dropOff: '返却',
    carType: '車種',
    train: '列車',
    railCarAndSeat: (car, seat) => [car ? `${car}号車` : undefined, seat ? `${seat}番` : undefined].filter(Boolean).join(' '),
    cabins: {
      economy: 'エコノミークラス',
      premiumEconomy: 'プレミアムエコノミークラス',
      business: 'ビジネスクラス',
      first: 'ファーストクラス',
    },
    date: ({ year, month, day, weekday }) => `${year}年${month}月${day}日(${WEEKDAYS[weekday]})`,
    cityWithCode: (city, code) => `${city}(${code})`,
    placeWithAddress: (place, address) => `${place} ${address}`,
  },

  calendarEvent: {
    category: '出張',
  },

  itineraryEmail: {
    subjectPrefix: { created: '【旅程のご案内】', changed: '【旅程変更のお知らせ】', cancelled: '【キャンセルのお知らせ】' },
    subject: (prefix, trip) => `${prefix}${trip.title ? `${trip.title}(予約番号 ${trip.bookingRef})` : `予約番号 ${trip.bookingRef}`}`,
    greeting: (name) => `${name} 様`,
    intro: {
      created: 'ご予約が確定しました。旅程は以下のとおりです。',
      changed: 'ご予約の内容が変更されました。変更のあった予定には印を付けています。',
      cancelled: '以下の旅程はキャンセルされました。',
    },
    viewTrip: '旅程を表示',
    marks: { added: '追加', changed: '変更', cancelled: 'キャンセル' },
    calendarFile: {
      update:
        '添付のカレンダーファイル(.ics)は予定1件ごとに分かれています。開くと、その予定がカレンダーに追加または更新されます。変更後に届くファイルは、同じ予定を重複させずに更新します。旅程全体を1つのファイルにしたものは旅程のページにあります。',
      cancel: '添付のカレンダーファイル(.ics)はキャンセルされた予定1件ごとに分かれています。開くと、その予定がカレンダーから削除されます。',
      keepCancelled: '添付のカレンダーファイル(.ics)はキャンセルされた予定1件ごとに分かれています。開くと、その予定は「キャンセル」と表示されてカレンダーに残ります(空き時間として表示され、通知はありません)。',
    },
    reconnect: (names) => [
      `${names.calendar}との接続の有効期限が切れたため、この旅程を${names.calendar}に自動で反映できませんでした。`,
      `再接続するには、ホーム画面で「${names.connect}」を選択してください。`,
      'それまでの間も、添付のカレンダーファイル(.ics)を開けば予定を追加・更新できます。',
    ],
    footer: 'このメールは送信専用です。',
  },

  reconnectReminder: {
    subject: (names) => `【ご確認ください】${names.integration}の有効期限が近づいています`,
    deadline: (at, timeZone) => new Intl.DateTimeFormat('ja-JP', { dateStyle: 'long', timeZone }).format(at),
    body: (name, days, deadline, url, names) => [
      `${name} 様`,
      `会社の設定により、OBTに${days}日間ログインしていない場合、${names.calendar}との接続は期限切れになります。`,
      `${deadline}までにOBTにログインしてください: ${url}`,
      `期限が切れた場合も旅程メールとカレンダーファイル(.ics)は引き続き届きます。ホーム画面の「${names.connect}」から再接続できます。`,
    ],
  },

  itineraryChanges: {
    cancelledTitle: (summary) => `キャンセル: ${summary}`,
    cancelledNote: 'この予約はキャンセルされました。',
    heading: '変更内容',
    facts: {
      departure: '出発', arrival: '到着', pickUp: '貸出', dropOff: '返却', checkIn: 'チェックイン', checkOut: 'チェックアウト',
      flightNumber: '便名', trainNumber: '列車', departureTerminal: '出発ターミナル', arrivalTerminal: '到着ターミナル', seat: '座席',
    },
    change: (label, from, to) => `${label} ${from} → ${to}`,
    none: 'なし',
    subjectPrefix: { schedule: '【時刻変更のお知らせ】', seat: '【座席変更のお知らせ】', added: '【予約追加のお知らせ】', cancelled: '【一部キャンセルのお知らせ】' },
  },

  access: {
    throttled: (seconds: number) => `ログインの試行が多すぎます。${seconds}秒後にもう一度お試しください。`,
    crossSite: '別のサイトから送られたリクエストのため、拒否しました。',
    linkInvalid: 'このリンクは無効です。新しいリンクを依頼してください。',
    linkExpired: 'このリンクは有効期限が切れています。新しいリンクを依頼してください。',
    linkUsed: 'このリンクは既に使用されています。ログインするか、新しいリンクを依頼してください。',
    passwordTooShort: (min: number) => `パスワードは${min}文字以上にしてください。`,
    resetSubject: 'tripcalのパスワード再設定',
    resetBody: (name: string, url: string, minutes: number) => [
      `${name} 様`,
      'tripcalアカウントのパスワード再設定が依頼されました。',
      `新しいパスワードを設定するには、${minutes}分以内に次のリンクを開いてください。リンクは一度だけ使えます: ${url}`,
      'お心当たりがない場合は、このメールを無視してください。パスワードは変更されません。',
    ],
  },

  calendarFeed: {
    name: '出張（tripcal）',
    notFound: 'このカレンダーフィードは存在しないか、オフになっています。',
  },

  calendarPassword: {
    badServerUrl: 'サーバーのアドレスを https://…（または http://…）の形式で入力してください。',
    refused: 'サーバーがこのユーザー名とパスワードを拒否しました。入力内容を確認し、サービスが求める場合はアプリ用パスワードを使用してください。',
    unreachable: 'このアドレスのサーバーに接続できませんでした。アドレスを確認して、もう一度お試しください。',
    notCalendarServer: 'このアドレスにカレンダーが見つかりませんでした。サーバーのアドレスを確認してください。',
    noCalendar: 'このアカウントには予定用のカレンダーがありません。',
    calendarMissing: '選択したカレンダーはこのアカウントにもうありません。もう一度選択してください。',
  },

  grantPage: {
    approved: 'アクセスが承認されました',
    refused: 'アクセスは承認されませんでした',
    refusedNext: '承認するには、OBTの管理者から届いたリンクをもう一度開いて承認してください。リンクの有効期限が切れている場合は、新しいリンクを依頼してください。',
    close: 'このウィンドウは閉じてかまいません。',
    detail: 'IT担当者向けの詳細',
  },
};
