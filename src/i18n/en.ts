// The server's words in English: emails, calendar events and the web API's error messages.
// This catalogue's shape is `Messages` (messages.ts); ja.ts must have the same keys and types.

/**
 * A calendar provider's names in this language, from the provider registry: what its calendar is
 * called in a sentence ("Outlook calendar"), its connect button, quoted word for word as the home
 * screen labels it ("Connect to Outlook calendar"), and its integration ("Outlook calendar integration").
 */
export interface CalendarNames {
  calendar: string;
  connect: string;
  integration: string;
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A calendar date as parts: month 1-12, weekday 0 = Monday. */
export interface DateParts {
  year: number;
  month: number;
  day: number;
  weekday: number;
}

export const en = {
  common: {
    bookingReference: 'Booking reference',
  },

  /** The web app's log-in and permission errors. */
  session: {
    signedOut: 'Please log in.',
    adminOnly: 'Only a company admin can do this.',
    loginFailed: 'The email or password is not correct.',
  },

  /** Connecting a calendar, and the company's grant (what is said in a provider's own name is in the provider registry). */
  calendars: {
    syncOff: 'Calendar sync is not turned on for your company.',
    badState: 'This connection link is invalid, expired or already used. Please try again.',
    noProvider: 'This calendar is not available.',
  },

  trips: {
    notFound: 'Trip not found.',
  },

  /** The company admin's settings (会社 → 設定). */
  companySettings: {
    keepCancelledEvents: 'keepCancelledEvents: choose whether cancelled bookings stay in calendars (true or false).',
    unknownField: (field: string) => `${field}: not a company setting.`,
  },

  /** A segment as a traveler reads it: email rows, calendar event titles and bodies. */
  segment: {
    flight: 'Flight',
    operatedBy: 'Operated by',
    departure: 'Departure',
    arrival: 'Arrival',
    terminal: (terminal: string) => `Terminal ${terminal}`,
    seat: 'Seat',
    cabin: 'Cabin',
    recordLocator: 'Record locator',
    hotel: 'Hotel',
    hotelSummary: 'Hotel',
    address: 'Address',
    phone: 'Phone',
    checkIn: 'Check-in',
    checkOut: 'Check-out',
    confirmation: 'Confirmation',
    carSummary: 'Car rental',
    carVendor: 'Rental company',
    pickUp: 'Pick-up',
    dropOff: 'Drop-off',
    carType: 'Car type',
    train: 'Train',
    railCarAndSeat: (car: string | undefined, seat: string | undefined) =>
      [car ? `Car ${car}` : undefined, seat ? `seat ${seat}` : undefined].filter(Boolean).join(', '),
    cabins: {
      economy: 'Economy',
      premiumEconomy: 'Premium Economy',
      business: 'Business',
      first: 'First',
    },
    /** "Mon 1 Jun 2026". */
    date: ({ year, month, day, weekday }: DateParts) => `${WEEKDAYS[weekday]} ${day} ${MONTHS[month - 1]} ${year}`,
    /** "Tokyo (HND)". */
    cityWithCode: (city: string, code: string) => `${city} (${code})`,
    /** A hotel or a rental counter with its address. */
    placeWithAddress: (place: string, address: string) => `${place}, ${address}`,
  },

  calendarEvent: {
    /** The category every event we write carries, so a traveler can see and filter them. */
    category: 'Travel',
  },

  itineraryEmail: {
    /** What the email says first, by what the booking change did. */
    subjectPrefix: { created: 'Your itinerary', changed: 'Itinerary changed', cancelled: 'Trip cancelled' },
    subject: (prefix: string, trip: { title?: string; bookingRef: string }) =>
      `${prefix}: ${trip.title ? `${trip.title} (booking ${trip.bookingRef})` : `booking ${trip.bookingRef}`}`,
    greeting: (name: string) => `Dear ${name},`,
    intro: {
      created: 'Your trip is booked. Here is your itinerary.',
      changed: 'Your booking has changed. What changed is marked below.',
      cancelled: 'The trip below has been cancelled.',
    },
    viewTrip: 'View your trip',
    marks: { added: 'Added', changed: 'Changed', cancelled: 'Cancelled' },
    calendarFile: {
      update:
        'Each attached calendar file (.ics) holds one booking: open it to add that booking to your calendar, or to update it there. A file sent after a change updates the same event instead of adding a new one. The whole trip, as one file, is on the trip page.',
      cancel: 'Each attached calendar file (.ics) holds one cancelled booking: open it to remove that booking from your calendar.',
      keepCancelled: 'Each attached calendar file (.ics) holds one cancelled booking: open it to mark that booking as cancelled in your calendar, where it stays, shown as free, with no reminder.',
    },
    /** A calendar connection of the traveler lapsed. */
    reconnect: (names: CalendarNames) => [
      `Your ${names.calendar} connection has expired, so this trip could not be updated in your ${names.calendar} automatically.`,
      `To reconnect, choose "${names.connect}" on the home screen.`,
      'Until then, the attached calendar file (.ics) keeps working: open it to add or update the events.',
    ],
    footer: 'This is an automated message; replies are not read.',
  },

  /** Sent some days before the company's log-in rule would lapse a traveler's calendar connection. */
  reconnectReminder: {
    subject: (names: CalendarNames) => `Your ${names.calendar} connection will expire soon`,
    deadline: (at: Date, timeZone: string) => new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone }).format(at),
    body: (name: string, days: number, deadline: string, url: string, names: CalendarNames) => [
      `Dear ${name},`,
      `Your company's settings end the ${names.calendar} connection of anyone who has not logged in to the OBT for ${days} days.`,
      `Log in before ${deadline} to keep it: ${url}`,
      `If it expires, itinerary emails with calendar files (.ics) keep coming, and you can reconnect with "${names.connect}" on the home screen.`,
    ],
  },

  /** What a booking change did, fact by fact: email rows, calendar event bodies, titles. */
  itineraryChanges: {
    /** The title of a cancelled booking kept in a calendar: Outlook's own prefix for a cancelled meeting. */
    cancelledTitle: (summary: string) => `Canceled: ${summary}`,
    /** The first line of a cancelled booking's event body. */
    cancelledNote: 'This booking was cancelled.',
    /** The row that carries each changed fact. */
    heading: 'What changed',
    facts: {
      departure: 'Departure', arrival: 'Arrival', pickUp: 'Pick-up', dropOff: 'Drop-off', checkIn: 'Check-in', checkOut: 'Check-out',
      flightNumber: 'Flight', trainNumber: 'Train', departureTerminal: 'Departure terminal', arrivalTerminal: 'Arrival terminal', seat: 'Seat',
    },
    /** "Seat 11A → 12C". */
    change: (label: string, from: string, to: string) => `${label} ${from} → ${to}`,
    /** A fact not given on one side of the change. */
    none: 'none',
    /** What a change email's subject says first, by the kind of change. */
    subjectPrefix: { schedule: 'Schedule changed', seat: 'Seat changed', added: 'Booking added', cancelled: 'Booking cancelled' },
  },

  /** Log-in throttling, cross-site refusal, and the one-use links that set a password (invitation, reset). */
  access: {
    throttled: (seconds: number) => `Too many log-in attempts. Try again in ${seconds} seconds.`,
    crossSite: 'This request came from another site and was refused.',
    linkInvalid: 'This link is not valid. Ask for a new one.',
    linkExpired: 'This link has expired. Ask for a new one.',
    linkUsed: 'This link has been used already. Log in, or ask for a new one.',
    passwordTooShort: (min: number) => `The password must be at least ${min} characters.`,
    resetSubject: 'Reset your tripcal password',
    resetBody: (name: string, url: string, minutes: number) => [
      `Dear ${name},`,
      'Someone (we hope you) asked to reset the password of your tripcal account.',
      `To choose a new password, open this link within ${minutes} minutes. It works once: ${url}`,
      'If you did not ask for this, ignore this email: your password stays as it is.',
    ],
  },

  /** The traveler's private subscription feed. */
  calendarFeed: {
    /** The calendar's name in the traveler's calendar app. */
    name: 'Trips (tripcal)',
    /** A feed URL whose token is unknown, replaced or turned off. */
    notFound: 'This calendar feed does not exist or has been turned off.',
  },

  /** Connecting a calendar with a server address, a username and a password (CalDAV). */
  calendarPassword: {
    badServerUrl: 'Enter the server address as https://… (or http://…).',
    refused: 'The server refused this username and password. Check them, and use an app-specific password where your service asks for one.',
    unreachable: 'The server could not be reached at this address. Check the address and try again.',
    notCalendarServer: 'No calendars were found at this address. Check the server address.',
    noCalendar: 'This account holds no calendar for events.',
    calendarMissing: 'The chosen calendar is no longer in this account. Choose again.',
  },

  /** The page a company's IT administrator lands on after answering a grant link (no OBT session). */
  grantPage: {
    approved: 'Access approved',
    refused: 'Access not approved',
    refusedNext: 'To approve it, open the link from your OBT administrator again and accept. If the link has expired, ask them for a new one.',
    close: 'You can close this window.',
    detail: 'Details for IT',
  },
};
