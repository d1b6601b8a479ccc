// Time zones Graph accepts in dateTimeTimeZone.timeZone (and Prefer: outlook.timezone). The Graph
// docs (dateTimeTimeZone resource type): "any of the time zones currently supported by Windows, as
// well as" a listed set of "additional time zones" (IANA names). Windows names: every zone of CLDR's
// windowsZones mapping (windows-iana's WINDOWS_TO_IANA_MAP). IANA names: only the documented list;
// any other IANA name, valid or not, is refused (stricter: "methods such as create or update might
// not support all" of them). Anything else gets TimeZoneNotSupportedException.
import { IANAZone } from "luxon";
import { WINDOWS_TO_IANA_MAP } from "windows-iana";

/** Windows zone id → IANA zone (CLDR territory "001", the zone's golden zone). */
const WINDOWS = new Map<string, string>();
for (const entry of WINDOWS_TO_IANA_MAP) {
  if (entry.territory === "001" && entry.iana[0]) WINDOWS.set(entry.windowsName, entry.iana[0]);
}

/**
 * The "Additional time zones" of the Graph v1.0 dateTimeTimeZone page, verbatim. Entries written
 * "A (B)" there (Europe/Kyiv (Kiev), Asia/Yangon (Rangoon), ...) accept whichever of A and B is a
 * real IANA zone; "Asia/Toshkent" and "Asia/Astana" are not, so only Asia/Tashkent and Asia/Almaty.
 */
const DOCUMENTED_IANA = `Etc/GMT+12 Etc/GMT+11 Pacific/Honolulu America/Anchorage America/Santa_Isabel
America/Los_Angeles America/Phoenix America/Chihuahua America/Denver America/Guatemala America/Chicago
America/Mexico_City America/Regina America/Bogota America/New_York America/Indiana/Indianapolis
America/Caracas America/Asuncion America/Halifax America/Cuiaba America/La_Paz America/Santiago
America/St_Johns America/Sao_Paulo America/Argentina/Buenos_Aires America/Cayenne America/Godthab
America/Montevideo America/Bahia Etc/GMT+2 Atlantic/Azores Atlantic/Cape_Verde Africa/Casablanca Etc/GMT
Europe/London Atlantic/Reykjavik Europe/Berlin Europe/Budapest Europe/Paris Europe/Warsaw Africa/Lagos
Africa/Windhoek Europe/Bucharest Asia/Beirut Africa/Cairo Asia/Damascus Africa/Johannesburg Europe/Kyiv
Europe/Kiev Europe/Istanbul Asia/Jerusalem Asia/Amman Asia/Baghdad Europe/Kaliningrad Asia/Riyadh
Africa/Nairobi Asia/Tehran Asia/Dubai Asia/Baku Europe/Moscow Indian/Mauritius Asia/Tbilisi Asia/Yerevan
Asia/Kabul Asia/Karachi Asia/Tashkent Asia/Kolkata Asia/Colombo Asia/Kathmandu Asia/Almaty Asia/Dhaka
Asia/Yekaterinburg Asia/Yangon Asia/Rangoon Asia/Bangkok Asia/Novosibirsk Asia/Shanghai Asia/Krasnoyarsk
Asia/Singapore Australia/Perth Asia/Taipei Asia/Ulaanbaatar Asia/Irkutsk Asia/Tokyo Asia/Seoul
Australia/Adelaide Australia/Darwin Australia/Brisbane Australia/Sydney Pacific/Port_Moresby
Australia/Hobart Asia/Yakutsk Pacific/Guadalcanal Asia/Vladivostok Pacific/Auckland Etc/GMT-12
Pacific/Fiji Asia/Magadan Pacific/Tongatapu Pacific/Apia Pacific/Kiritimati`
  .split(/\s+/)
  .filter(Boolean);

const LOWER = new Map<string, string>();
for (const [windows, iana] of WINDOWS) LOWER.set(windows.toLowerCase(), iana);
for (const iana of DOCUMENTED_IANA) {
  if (!IANAZone.isValidZone(iana)) throw new Error(`sandbox: documented zone ${iana} is not a valid IANA zone`);
  LOWER.set(iana.toLowerCase(), iana);
}

/** The IANA zone for a Graph time-zone name, or null when Graph would refuse it. */
export function resolveTimeZone(name: string): string | null {
  return LOWER.get(name.toLowerCase()) ?? null;
}

/** Every Windows zone id the sandbox accepts (for tests and docs). */
export function windowsTimeZoneNames(): string[] {
  return [...WINDOWS.keys()];
}
