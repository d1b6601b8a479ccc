// A small OData $filter parser and evaluator for the event queries Outlook supports and products
// use: comparisons on properties (subject, transactionId, iCalUId, start/dateTime, ...), and/or/not,
// and lambda any() over singleValueExtendedProperties and categories.

type Token = { t: "id" | "str" | "num" | "op" | "punct"; v: string };

type Node =
  | { k: "and" | "or"; l: Node; r: Node }
  | { k: "not"; e: Node }
  | { k: "cmp"; op: string; path: string[]; value: unknown }
  | { k: "any"; path: string; varName: string; body: Node | null }
  | { k: "fn"; name: string; path: string[]; value: string };

export class FilterError extends Error {}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let s = "";
      i++;
      for (;;) {
        if (i >= src.length) throw new FilterError("unterminated string literal");
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src[i++];
      }
      out.push({ t: "str", v: s });
    } else if ("(),:".includes(c)) {
      out.push({ t: "punct", v: c });
      i++;
    } else {
      const m = /^[A-Za-z0-9_./+\-:{}@$]+/.exec(src.slice(i));
      if (!m) throw new FilterError(`unexpected character '${c}'`);
      let word = m[0];
      // "ep:" style lambda variables: the colon belongs to the punctuation.
      if (word.endsWith(":")) word = word.slice(0, -1);
      i += word.length;
      if (/^-?\d+(\.\d+)?$/.test(word)) out.push({ t: "num", v: word });
      else if (/^\d{4}-\d{2}-\d{2}T/.test(word)) out.push({ t: "str", v: word });
      else out.push({ t: "id", v: word });
    }
  }
  return out;
}

const CMP = new Set(["eq", "ne", "gt", "ge", "lt", "le"]);

export function parseFilter(src: string): Node {
  const toks = tokenize(src);
  let pos = 0;
  const peek = () => toks[pos];
  const next = () => {
    const t = toks[pos++];
    if (!t) throw new FilterError("unexpected end of clause");
    return t;
  };
  const expect = (v: string) => {
    const t = next();
    if (t.v !== v) throw new FilterError(`expected '${v}' but found '${t.v}'`);
  };

  function parseOr(): Node {
    let l = parseAnd();
    while (peek()?.t === "id" && peek()!.v.toLowerCase() === "or") {
      pos++;
      l = { k: "or", l, r: parseAnd() };
    }
    return l;
  }
  function parseAnd(): Node {
    let l = parseUnary();
    while (peek()?.t === "id" && peek()!.v.toLowerCase() === "and") {
      pos++;
      l = { k: "and", l, r: parseUnary() };
    }
    return l;
  }
  function parseUnary(): Node {
    const t = peek();
    if (t?.t === "id" && t.v.toLowerCase() === "not") {
      pos++;
      return { k: "not", e: parseUnary() };
    }
    if (t?.v === "(") {
      pos++;
      const e = parseOr();
      expect(")");
      return e;
    }
    return parsePrimary();
  }
  function parseLiteral(): unknown {
    const t = next();
    if (t.t === "str") return t.v;
    if (t.t === "num") return Number(t.v);
    if (t.t === "id") {
      if (t.v === "true") return true;
      if (t.v === "false") return false;
      if (t.v === "null") return null;
    }
    throw new FilterError(`a literal was expected but found '${t.v}'`);
  }
  function parsePrimary(): Node {
    const t = next();
    if (t.t !== "id") throw new FilterError(`unexpected '${t.v}'`);
    const lower = t.v.toLowerCase();
    if ((lower === "startswith" || lower === "endswith" || lower === "contains") && peek()?.v === "(") {
      pos++;
      const prop = next();
      expect(",");
      const value = next();
      if (value.t !== "str") throw new FilterError("a string literal was expected");
      expect(")");
      return { k: "fn", name: lower, path: prop.v.split("/"), value: value.v };
    }
    const anyMatch = /^(.+)\/any$/i.exec(t.v);
    if (anyMatch) {
      expect("(");
      if (peek()?.v === ")") {
        pos++;
        return { k: "any", path: anyMatch[1]!, varName: "", body: null };
      }
      const v = next();
      expect(":");
      const body = parseOr();
      expect(")");
      return { k: "any", path: anyMatch[1]!, varName: v.v, body };
    }
    const op = next();
    if (op.t !== "id" || !CMP.has(op.v.toLowerCase())) throw new FilterError(`unsupported operator '${op.v}'`);
    return { k: "cmp", op: op.v.toLowerCase(), path: t.v.split("/"), value: parseLiteral() };
  }

  const node = parseOr();
  if (pos !== toks.length) throw new FilterError(`unexpected '${toks[pos]!.v}'`);
  return node;
}

function getPath(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function compare(a: unknown, op: string, b: unknown): boolean {
  if (op === "eq") return a === b || (a === undefined && b === null);
  if (op === "ne") return !(a === b || (a === undefined && b === null));
  if (a === null || a === undefined || b === null) return false;
  const x = typeof a === "string" && typeof b === "string" ? a.localeCompare(b) : Number(a) - Number(b);
  if (op === "gt") return x > 0;
  if (op === "ge") return x >= 0;
  if (op === "lt") return x < 0;
  return x <= 0;
}

const EXT_ID_SHAPE = /^\s*\w+\s+(\{|0x)/;

/** Extended property ids compare case-insensitively on the type and GUID, exactly on the name. */
const normalized = new Map<string, string>();

export function normalizeExtPropId(id: string): string {
  let out = normalized.get(id);
  if (out === undefined) {
    out = normalizeUncached(id);
    if (normalized.size > 10_000) normalized.clear();
    normalized.set(id, out);
  }
  return out;
}

function normalizeUncached(id: string): string {
  return id
    .trim()
    .replace(/\s+/g, " ")
    .replace(/^(\w+)/, (m) => m.toLowerCase())
    .replace(/\{[0-9a-fA-F-]+\}/, (m) => m.toLowerCase())
    .replace(/ (name|id) /i, (m) => m.toLowerCase())
    .replace(/0x[0-9a-fA-F]+/, (m) => m.toLowerCase());
}

export function evaluate(node: Node, obj: Record<string, unknown>, scope: Record<string, unknown> = {}): boolean {
  switch (node.k) {
    case "and":
      return evaluate(node.l, obj, scope) && evaluate(node.r, obj, scope);
    case "or":
      return evaluate(node.l, obj, scope) || evaluate(node.r, obj, scope);
    case "not":
      return !evaluate(node.e, obj, scope);
    case "fn": {
      const v = resolve(node.path, obj, scope);
      if (typeof v !== "string") return false;
      if (node.name === "startswith") return v.toLowerCase().startsWith(node.value.toLowerCase());
      if (node.name === "endswith") return v.toLowerCase().endsWith(node.value.toLowerCase());
      return v.toLowerCase().includes(node.value.toLowerCase());
    }
    case "cmp": {
      let v = resolve(node.path, obj, scope);
      let want = node.value;
      // Extended property ids, in a lambda (ep/id) or an $expand filter (id): compare normalised.
      if (node.path[node.path.length - 1] === "id" && typeof v === "string" && typeof want === "string" && EXT_ID_SHAPE.test(want)) {
        v = normalizeExtPropId(v);
        want = normalizeExtPropId(want);
      }
      return compare(v, node.op, want);
    }
    case "any": {
      const items = getPath(obj, node.path.split("/"));
      if (!Array.isArray(items)) return false;
      if (!node.body) return items.length > 0;
      return items.some((item) => evaluate(node.body!, obj, { ...scope, [node.varName]: item }));
    }
  }
}

function resolve(path: string[], obj: Record<string, unknown>, scope: Record<string, unknown>): unknown {
  const [head, ...rest] = path;
  if (head !== undefined && head in scope) return rest.length ? getPath(scope[head], rest) : scope[head];
  return getPath(obj, path);
}

/** Property paths the filter reads from the event (to refuse unknown properties). */
export function topLevelProps(node: Node, vars: Set<string> = new Set()): string[] {
  switch (node.k) {
    case "and":
    case "or":
      return [...topLevelProps(node.l, vars), ...topLevelProps(node.r, vars)];
    case "not":
      return topLevelProps(node.e, vars);
    case "fn":
    case "cmp":
      return vars.has(node.path[0]!) ? [] : [node.path[0]!];
    case "any":
      return [node.path.split("/")[0]!, ...(node.body ? topLevelProps(node.body, new Set([...vars, node.varName])) : [])];
  }
}
