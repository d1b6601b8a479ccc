// RFC 5545 §3.1 content lines: TEXT escaping, parameter quoting, folding at 75 octets.

/** Only ASCII characters: one octet each. */
const ASCII = /^[\x00-\x7f]*$/;

/** Physical lines are at most 75 octets, CRLF excluded (RFC 5545 §3.1). */
export const MAX_LINE_OCTETS = 75;

/**
 * A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newline escaped; other
 * control characters (forbidden in TEXT) dropped. CRLF and lone CR count as a newline.
 */
export function escapeText(value: string): string {
  return value
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, '')
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\n/g, '\\n');
}

/**
 * A parameter value (RFC 5545 §3.2): quoted when it holds ":", ";" or ",". DQUOTE and control
 * characters cannot appear at all, so a double quote becomes a single one and controls go.
 */
export function paramValue(value: string): string {
  const clean = value.replace(/[\u0000-\u001F\u007F]/g, ' ').replace(/"/g, "'");
  return /[:;,]/.test(clean) ? `"${clean}"` : clean;
}

/**
 * Folds one logical line into physical lines of at most 75 octets each, counting UTF-8 octets
 * and never splitting a character (a multi-byte sequence or a surrogate pair). A continuation
 * line starts with one space, which counts toward its 75 octets. Returns the lines joined by CRLF.
 */
export function foldLine(line: string): string {
  // Most lines are short ASCII: nothing to count.
  if (line.length <= MAX_LINE_OCTETS && ASCII.test(line)) return line;
  const out: string[] = [];
  let start = 0;
  let octets = 0;
  for (let i = 0; i < line.length; ) {
    const unit = line.charCodeAt(i);
    // A surrogate pair is one character of 4 octets; a lone surrogate is written as U+FFFD (3).
    const pair = unit >= 0xd800 && unit <= 0xdbff && (line.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const size = pair ? 4 : unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3;
    if (octets + size > MAX_LINE_OCTETS) {
      out.push(line.slice(start, i));
      start = i;
      octets = 1; // the continuation line's leading space
    }
    octets += size;
    i += pair ? 2 : 1;
  }
  if (out.length === 0) return line;
  out.push(line.slice(start));
  return out.join('\r\n ');
}

export type Params = ReadonlyArray<readonly [name: string, value: string]>;

/** One property as a folded content line: NAME;PARAM=value:value (the value already encoded). */
export function contentLine(name: string, value: string, params: Params = []): string {
  const head = params.map(([k, v]) => `;${k}=${paramValue(v)}`).join('');
  return foldLine(`${name}${head}:${value}`);
}
