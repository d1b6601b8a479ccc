import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { providerLabels } from '../../src/calendars/registry.ts';
import { MESSAGES } from '../../src/i18n/messages.ts';

/** Every path to a message ("itineraryEmail.intro.created"), with what it is. */
function entries(value: unknown, path = ''): Array<[string, string]> {
  if (typeof value === 'function') return [[path, 'function']];
  if (typeof value === 'string') return [[path, value === '' ? 'empty' : 'string']];
  if (Array.isArray(value)) return [[path, `${value.length} paragraphs`]];
  return Object.entries(value as object).flatMap(([key, v]) => entries(v, path ? `${path}.${key}` : key));
}

describe('the message catalogue', () => {
  it('has every message in Japanese and in English, none of them empty', () => {
    const ja = entries(MESSAGES.ja);
    assert.deepEqual(ja, entries(MESSAGES.en));
    assert.deepEqual(ja.filter(([, kind]) => kind === 'empty'), []);
  });

  it("quotes the home screen's connect button as the registry labels it, in the email and in the reminder", () => {
    for (const locale of ['ja', 'en'] as const) {
      const { itineraryEmail, reconnectReminder } = MESSAGES[locale];
      const [outlook] = providerLabels(['outlook'], locale);
      const quoted = locale === 'ja' ? `「${outlook!.connect}」` : `"${outlook!.connect}"`;
      assert.ok(itineraryEmail.reconnect(outlook!).some((p) => p.includes(quoted)), locale);
      assert.ok(reconnectReminder.body('x', 90, 'y', 'z', outlook!).some((p) => p.includes(quoted)), locale);
      assert.ok(reconnectReminder.subject(outlook!).includes(locale === 'ja' ? 'Outlookカレンダー連携' : 'Outlook calendar'), locale);
    }
  });
});
