import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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

  it("quotes the home screen's Outlook button as it is labelled, in the email and in the reminder", () => {
    for (const locale of ['ja', 'en'] as const) {
      const { common, itineraryEmail, reconnectReminder } = MESSAGES[locale];
      assert.ok(itineraryEmail.outlookReconnect.some((p) => p.includes(common.connectToOutlook)), locale);
      assert.ok(reconnectReminder.body('x', 90, 'y', 'z').some((p) => p.includes(common.connectToOutlook)), locale);
    }
  });
});
