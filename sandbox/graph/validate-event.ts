// Strict validation of event bodies against Graph v1.0's CSDL (graph/event-types.json, extracted
// from msgraph-metadata schemas/v1.0-Prod.csdl): unknown properties, wrong JSON types, unknown enum
// members and bad dateTimeTimeZone values are refused with Graph's error codes.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { GraphErrorSpec } from "./errors.ts";
import { GE } from "./errors.ts";
import { resolveTimeZone } from "./timezones.ts";

interface PropDef {
  type: string;
  nav: boolean;
  nullable: boolean;
}
interface TypeDef {
  base: string | null;
  props: Record<string, PropDef>;
}
interface Csdl {
  types: Record<string, TypeDef>;
  enums: Record<string, string[]>;
}

const CSDL = JSON.parse(readFileSync(join(import.meta.dirname, "event-types.json"), "utf8")) as Csdl;

/** All properties of a type including inherited ones (event -> outlookItem -> entity). */
export function propsOf(typeName: string): Record<string, PropDef> {
  const t = CSDL.types[typeName];
  if (!t) return {};
  const base = t.base ? propsOf(t.base.replace(/^graph\./, "")) : {};
  return { ...base, ...t.props };
}

export const EVENT_PROPS = propsOf("event");

/** Set by the service; accepted in a body and ignored, as Graph does. */
const READ_ONLY = new Set([
  "id", "createdDateTime", "lastModifiedDateTime", "changeKey", "iCalUId", "webLink", "bodyPreview",
  "hasAttachments", "isOrganizer", "type", "seriesMasterId", "isCancelled", "responseStatus",
  "originalStart", "cancelledOccurrences", "onlineMeeting", "onlineMeetingUrl", "isDraft",
]);

/** Navigation properties that may be deep-inserted with the event. */
const DEEP_INSERT = new Set(["singleValueExtendedProperties", "multiValueExtendedProperties"]);

const DATE_TIME_LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?$/;
const DATE_TIME_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
// MAPI named or tagged property ids: "String {guid} Name X", "String {guid} Id 0x8001", "String 0x4001".
const EXT_PROP_ID =
  /^(String|Integer|Boolean|SystemTime|Double|Float|Short|Long|Currency|Binary|CLSID|StringArray|IntegerArray)\s+(\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}\s+(Name\s+\S.*|Id\s+0x[0-9a-fA-F]{1,4})|0x[0-9a-fA-F]{1,4})$/;

class Invalid extends Error {
  readonly spec: GraphErrorSpec;
  constructor(spec: GraphErrorSpec) {
    super(spec.message);
    this.spec = spec;
  }
}

/** Outlook-backed Graph errors name the Exchange type: "Microsoft.OutlookServices.Event". */
function outlookTypeName(typeName: string): string {
  return `Microsoft.OutlookServices.${typeName.charAt(0).toUpperCase()}${typeName.slice(1)}`;
}

function nodeKind(v: unknown): string {
  if (Array.isArray(v)) return "StartArray";
  if (v !== null && typeof v === "object") return "StartObject";
  return "PrimitiveValue";
}

function literal(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

function checkValue(value: unknown, odataType: string, nullable: boolean, propName: string): void {
  if (value === null) {
    if (nullable) return;
    throw new Invalid(GE.requestBodyRead(`A null value was found for the property named '${propName}', which has the expected type '${odataType}[Nullable=False]'. The expected type '${odataType}[Nullable=False]' does not allow null values.`));
  }
  const collection = /^Collection\((.+)\)$/.exec(odataType);
  if (collection) {
    if (!Array.isArray(value)) {
      throw new Invalid(GE.requestBodyRead(`An unexpected '${nodeKind(value)}' node was found when reading from the JSON reader. A 'StartArray' node was expected.`));
    }
    for (const item of value) checkValue(item, collection[1]!, false, propName);
    return;
  }
  if (odataType.startsWith("Edm.")) {
    if (typeof value === "object") {
      throw new Invalid(GE.requestBodyRead(`An unexpected '${nodeKind(value)}' node was found for property named '${propName}' when reading from the JSON reader. A 'PrimitiveValue' node was expected.`));
    }
    const bad = () => new Invalid(GE.requestBodyRead(`Cannot convert the literal '${literal(value)}' to the expected type '${odataType}'.`));
    switch (odataType) {
      case "Edm.String":
        if (typeof value !== "string") throw bad();
        return;
      case "Edm.Boolean":
        if (typeof value !== "boolean") throw bad();
        return;
      case "Edm.Int32":
        if (typeof value !== "number" || !Number.isInteger(value) || value < -2147483648 || value > 2147483647) throw bad();
        return;
      case "Edm.Double":
        if (typeof value !== "number") throw bad();
        return;
      case "Edm.DateTimeOffset":
        if (typeof value !== "string" || !DATE_TIME_OFFSET.test(value) || Number.isNaN(Date.parse(value))) throw bad();
        return;
      case "Edm.Date":
        if (typeof value !== "string" || !DATE_ONLY.test(value)) throw bad();
        return;
      default:
        return;
    }
  }
  const name = odataType.replace(/^graph\./, "");
  const members = CSDL.enums[name];
  if (members) {
    if (typeof value !== "string") {
      throw new Invalid(GE.requestBodyRead(`Cannot convert the literal '${literal(value)}' to the expected type '${outlookTypeName(name)}'.`));
    }
    // Flags-free enums: exactly one member, exact spelling.
    if (!members.includes(value)) throw new Invalid(GE.requestBodyRead(`Requested value '${value}' was not found.`));
    return;
  }
  checkObject(value, name);
}

function checkObject(value: unknown, typeName: string): void {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Invalid(GE.requestBodyRead(`An unexpected '${nodeKind(value)}' node was found when reading from the JSON reader. A 'StartObject' node was expected.`));
  }
  const props = propsOf(typeName);
  const known = Object.keys(props).length > 0;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === "@odata.type") continue;
    const def = props[key];
    if (!def) {
      if (!known) continue; // a type the extract does not carry (e.g. locationConstraintItem): not ours to judge
      throw new Invalid(GE.requestBodyRead(`The property '${key}' does not exist on type '${outlookTypeName(typeName)}'. Make sure to only use property names that are defined by the type or mark the type as open type.`));
    }
    checkValue(v, def.type, true, key);
  }
}

function checkDateTimeTimeZone(value: unknown, prop: string): void {
  if (value === null || value === undefined) return;
  const v = value as { dateTime?: unknown; timeZone?: unknown };
  // The zone is checked first: Graph answers an empty {} with TimeZoneNotSupportedException.
  const tz = typeof v.timeZone === "string" ? v.timeZone : "";
  if (!resolveTimeZone(tz)) {
    throw new Invalid({
      status: 400,
      code: "TimeZoneNotSupportedException",
      message: `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${tz}'.`,
    });
  }
  if (typeof v.dateTime !== "string" || !DATE_TIME_LOCAL.test(v.dateTime) || Number.isNaN(Date.parse(`${v.dateTime.slice(0, 19)}Z`))) {
    // Graph refuses unparseable or offset-carrying values here; the zone lives in timeZone.
    throw new Invalid({ status: 400, code: "UnableToDeserializePostBody", message: `were unable to deserialize ${prop}.dateTime` });
  }
}

export type Validation = { ok: true; body: Record<string, unknown> } | { ok: false; error: GraphErrorSpec };

/** Validates a POST (create) or PATCH (update) body; returns the settable properties. */
export function validateEventBody(raw: unknown, mode: "create" | "update"): Validation {
  try {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new Invalid(GE.badJson());
    const body: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
      if (key === "@odata.type") {
        if (value !== "#microsoft.graph.event" && value !== "microsoft.graph.event") {
          throw new Invalid(GE.requestBodyRead(`A type named '${String(value)}' could not be resolved by the model.`));
        }
        continue;
      }
      if (key.startsWith("@odata.") || key.includes("@odata.")) continue; // annotations
      const def = EVENT_PROPS[key];
      if (!def) {
        throw new Invalid(GE.requestBodyRead(`The property '${key}' does not exist on type '${outlookTypeName("event")}'. Make sure to only use property names that are defined by the type or mark the type as open type.`));
      }
      if (def.nav && !DEEP_INSERT.has(key)) {
        throw new Invalid({ status: 400, code: "ErrorInvalidRequest", message: `The navigation property '${key}' cannot be written with the event in this request.` });
      }
      if (def.nav) {
        checkValue(value, key === "singleValueExtendedProperties" ? "Collection(graph.singleValueLegacyExtendedProperty)" : "Collection(graph.multiValueLegacyExtendedProperty)", false, key);
        for (const item of value as Array<Record<string, unknown>>) {
          if (typeof item.id !== "string" || !EXT_PROP_ID.test(item.id.trim())) {
            throw new Invalid({ status: 400, code: "ErrorInvalidExtendedPropertyValue", message: `The extended property id '${String(item.id)}' is not valid.` });
          }
          if (key === "singleValueExtendedProperties" && typeof item.value !== "string") {
            throw new Invalid(GE.requestBodyRead(`Cannot convert the literal '${literal(item.value)}' to the expected type 'Edm.String'.`));
          }
        }
      } else {
        checkValue(value, def.type, def.nullable, key);
      }
      if (READ_ONLY.has(key)) continue;
      body[key] = value;
    }
    checkDateTimeTimeZone(body.start, "start");
    checkDateTimeTimeZone(body.end, "end");
    if (mode === "create" && (!body.start || !body.end)) {
      throw new Invalid({ status: 400, code: "ErrorPropertyValidationFailure", message: "At least one property failed validation." });
    }
    if (typeof body.subject === "string" && body.subject.length > 255) {
      throw new Invalid({ status: 400, code: "ErrorPropertyValidationFailure", message: "At least one property failed validation." });
    }
    if (typeof body.transactionId === "string" && body.transactionId.length > 255) {
      throw new Invalid({ status: 400, code: "ErrorPropertyValidationFailure", message: "At least one property failed validation." });
    }
    return { ok: true, body };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, error: err.spec };
    throw err;
  }
}

export function isEventProperty(name: string): boolean {
  return name in EVENT_PROPS;
}
