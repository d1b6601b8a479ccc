// The itinerary as schema.org reservations (JSON-LD), for the HTML email: mail clients that read
// it (Gmail, Apple Mail, KDE Itinerary) show each booking as a card. One reservation per segment,
// with the numbers the calendar event shows: the airline's record locator or the supplier's
// confirmation, else the booking reference. Pure.
import { formatFlightNumber } from '../domain/describe-segment.ts';
import { segmentSpan } from '../domain/segment-span.ts';
import type { Segment, Trip, User } from '../domain/types.ts';
import { isoWithOffset } from '../domain/zoned-time.ts';

type Json = { [key: string]: Json | Json[] | string | undefined };

const STATUS = { confirmed: 'https://schema.org/ReservationConfirmed', cancelled: 'https://schema.org/ReservationCancelled' } as const;

function reservation(segment: Segment, trip: Trip, traveler: User): Json {
  const cancelled = segment.status === 'cancelled' || trip.status === 'cancelled';
  const common: Json = {
    '@context': 'https://schema.org',
    reservationStatus: cancelled ? STATUS.cancelled : STATUS.confirmed,
    underName: { '@type': 'Person', name: traveler.displayName, email: traveler.email },
  };
  switch (segment.kind) {
    case 'flight': {
      const [airline, number] = formatFlightNumber(segment.carrier, segment.flightNumber).split(' ');
      return {
        '@type': 'FlightReservation',
        reservationNumber: segment.recordLocator ?? trip.bookingRef,
        ...common,
        reservationFor: {
          '@type': 'Flight',
          flightNumber: number ?? segment.flightNumber,
          airline: { '@type': 'Airline', iataCode: number ? airline : segment.carrier },
          departureAirport: { '@type': 'Airport', iataCode: segment.departure.airport },
          departureTerminal: segment.departure.terminal,
          departureTime: isoWithOffset(segment.departure),
          arrivalAirport: { '@type': 'Airport', iataCode: segment.arrival.airport },
          arrivalTerminal: segment.arrival.terminal,
          arrivalTime: isoWithOffset(segment.arrival),
        },
        airplaneSeat: segment.seat,
      };
    }
    case 'hotel': {
      const span = segmentSpan(segment);
      const out = segment.checkOut.time ? isoWithOffset({ local: `${segment.checkOut.date}T${segment.checkOut.time}`, timeZone: segment.timeZone }) : segment.checkOut.date;
      return {
        '@type': 'LodgingReservation',
        reservationNumber: segment.confirmation ?? trip.bookingRef,
        ...common,
        reservationFor: { '@type': 'LodgingBusiness', name: segment.property, address: segment.address, telephone: segment.phone },
        checkinTime: span.allDay ? isoWithOffset(span.checkIn) : undefined,
        checkoutTime: out,
      };
    }
    case 'car':
      return {
        '@type': 'RentalCarReservation',
        reservationNumber: segment.confirmation ?? trip.bookingRef,
        ...common,
        reservationFor: { '@type': 'RentalCar', name: segment.carType, rentalCompany: { '@type': 'Organization', name: segment.vendor } },
        pickupLocation: { '@type': 'Place', name: segment.pickUp.place, address: segment.pickUp.address },
        pickupTime: isoWithOffset(segment.pickUp),
        dropoffLocation: { '@type': 'Place', name: segment.dropOff.place, address: segment.dropOff.address },
        dropoffTime: isoWithOffset(segment.dropOff),
      };
    case 'rail':
      return {
        '@type': 'TrainReservation',
        reservationNumber: segment.confirmation ?? trip.bookingRef,
        ...common,
        reservationFor: {
          '@type': 'TrainTrip',
          trainNumber: segment.trainNumber,
          provider: { '@type': 'Organization', name: segment.operator },
          departureStation: { '@type': 'TrainStation', name: segment.departure.station },
          departureTime: isoWithOffset(segment.departure),
          arrivalStation: { '@type': 'TrainStation', name: segment.arrival.station },
          arrivalTime: isoWithOffset(segment.arrival),
        },
        reservedTicket: segment.car || segment.seat
          ? { '@type': 'Ticket', ticketedSeat: { '@type': 'Seat', seatSection: segment.car, seatNumber: segment.seat } }
          : undefined,
      };
  }
}

/** The reservations of these segments, as the JSON-LD array an email's <script> carries. */
export function reservationsJsonLd(segments: Segment[], trip: Trip, traveler: User): object[] {
  return segments.map((segment) => reservation(segment, trip, traveler));
}

/**
 * JSON for a <script> element: "<", ">" and "&" escaped as JSON escapes, so no text from a
 * booking can end the element (</script>) or read as HTML.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}
