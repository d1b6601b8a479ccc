// RFC 5545 §3.1 content lines: TEXT escaping, parameter quoting, folding at 75 octets.

const encoder = new TextEncoder();

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
  if (encoder.encode(line).length <= MAX_LINE_OCTETS) return line;
  const out: string[] = [];
  let current = '';
  let octets = 0;
  for (const char of line) {
    // Iterating a string yields code points, so a surrogate pair stays together.
    const size = encoder.encode(char).length;
    if (octets + size > MAX_LINE_OCTETS) {
      out.push(current);
      current = ' ';
      octets = 1;
    }
    current += char;
    octets += size;
  }
  out.push(current);
  return out.join('\r\n');
}

export type Params = ReadonlyArray<readonly [name: string, value: string]>;

/** One property as a folded content line: NAME;PARAM=value:value (the value already encoded). */
export function contentLine(name: string, value: string, params: Params = []): string {
  const head = params.map(([k, v]) => `;${k}=${paramValue(v)}`).join('');
  return foldLine(`${name}${head}:${value}`);
}
