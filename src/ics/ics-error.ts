// Errors of the iCalendar rendering, with a code the caller can branch on.

export type IcsErrorCode =
  | 'ics.unknown-time-zone'
  | 'ics.invalid-local-time'
  | 'ics.end-before-start'
  | 'ics.attendee-required'
  | 'ics.cancelled-segment-in-request'
  | 'ics.unknown-segment';

export class IcsError extends Error {
  readonly code: IcsErrorCode;

  constructor(code: IcsErrorCode, message: string) {
    super(message);
    this.name = 'IcsError';
    this.code = code;
  }
}
