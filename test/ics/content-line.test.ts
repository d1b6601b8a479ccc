import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentLine, escapeText, foldLine, paramValue } from '../../src/ics/content-line.ts';

const octets = (s: string) => Buffer.byteLength(s, 'utf8');
const unfold = (s: string) => s.replace(/\r\n /g, '');

describe('content lines (RFC 5545 §3.1)', () => {
  it('leaves a line of exactly 75 octets alone and folds one of 76', () => {
    assert.equal(foldLine('x'.repeat(75)), 'x'.repeat(75));
    assert.equal(foldLine('x'.repeat(76)), `${'x'.repeat(75)}\r\n x`);
  });

  it('counts octets, not characters: 3-octet kana and 4-octet emoji are never split', () => {
    for (const text of ['あ'.repeat(100), '🏨'.repeat(60), 'aé'.repeat(70), 'x' + 'ホ'.repeat(40)]) {
      const folded = foldLine(`DESCRIPTION:${text}`);
      for (const line of folded.split('\r\n')) {
        assert.ok(octets(line) <= 75, `${octets(line)} octets`);
        assert.ok(line.isWellFormed());
      }
      assert.equal(unfold(folded), `DESCRIPTION:${text}`);
    }
    // 25 kana (75 octets) fill the first line, 24 the next (1 + 72 octets), the last one is left.
    const lines = foldLine('あ'.repeat(50)).split('\r\n');
    assert.deepEqual(lines.map(octets), [75, 73, 4]);
  });

  it('escapes backslash, semicolon, comma and newlines in TEXT (§3.3.11)', () => {
    assert.equal(escapeText('a\\b;c,d\ne\r\nf\rg'), 'a\\\\b\\;c\\,d\\ne\\nf\\ng');
    assert.equal(escapeText('tab\there, bell\u0007'), 'tab\there\\, bell');
    assert.equal(escapeText('Tokyo: HND'), 'Tokyo: HND', 'a colon is not escaped');
  });

  it('quotes parameter values holding : ; or , and drops double quotes (§3.2)', () => {
    assert.equal(paramValue('Alice Smith'), 'Alice Smith');
    assert.equal(paramValue('Smith, Alice'), '"Smith, Alice"');
    assert.equal(paramValue('Dr. "Al" Smith'), "Dr. 'Al' Smith");
    assert.equal(paramValue('山田 花子'), '山田 花子');
    assert.equal(
      contentLine('ATTENDEE', 'mailto:a@example.com', [['CN', 'Smith; Alice']]),
      'ATTENDEE;CN="Smith; Alice":mailto:a@example.com',
    );
  });
});
