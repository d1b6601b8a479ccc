// Scrubs anything token-shaped out of text that may reach a log line or an error message.
// Our messages are built from codes, but Microsoft's own descriptions are passed on (shortened),
// and nothing guarantees they never echo a value we sent.

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const RULES: Array<[RegExp, (match: string, ...groups: string[]) => string]> = [
  // JWTs (access and id tokens): three base64url parts, the first starting "eyJ".
  [/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, () => '[redacted]'],
  // "Bearer xyz", "Basic xyz" credentials.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, (_m, scheme) => `${scheme} [redacted]`],
  // name=value pairs of secrets in URLs or form bodies.
  [/\b(code|refresh_token|access_token|id_token|client_secret|code_verifier|client_assertion)=[^&\s"']+/gi, (_m, name) => `${name}=[redacted]`],
  // Any other long opaque run (refresh tokens, authorization codes, secrets); GUIDs are ids, kept.
  [/[A-Za-z0-9._~+/=-]{32,}/g, (m) => (GUID.test(m) ? m : '[redacted]')],
];

export function redact(text: string): string {
  let out = text;
  for (const [pattern, replace] of RULES) out = out.replace(pattern, replace as (m: string, ...rest: unknown[]) => string);
  return out;
}
