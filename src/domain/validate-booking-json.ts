// Validates booking-API JSON against booking-schema.ts outside the HTTP server (the CLI),
// with the same Ajv options the server uses, so both refuse the same input the same way.
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { tripInputSchema, type TripInput } from './booking-schema.ts';
import { BookingValidationError } from './parse-booking.ts';

export const AJV_OPTIONS = { removeAdditional: false, coerceTypes: false, discriminator: true, allErrors: false } as const;

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
let validator: ReturnType<Ajv['compile']> | undefined;

function fieldOf(e: ErrorObject): string {
  const parts = e.instancePath.split('/').filter(Boolean);
  if (e.keyword === 'required') parts.push(String(e.params.missingProperty));
  if (e.keyword === 'additionalProperties') parts.push(String(e.params.additionalProperty));
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '') || 'trip';
}

export function validateTripJson(value: unknown): TripInput {
  validator ??= addFormats(new Ajv(AJV_OPTIONS)).compile(tripInputSchema);
  if (validator(value)) return value as TripInput;
  throw new BookingValidationError(
    (validator.errors ?? []).map((e) => ({
      field: fieldOf(e),
      message: e.keyword === 'required' ? 'is required' : e.keyword === 'additionalProperties' ? 'is not a known field' : (e.message ?? 'is not valid'),
    })),
  );
}
