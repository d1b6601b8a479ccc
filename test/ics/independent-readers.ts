// iCalendar engines that share no code with tripcal or ical.js, driven through
// independent-readers.py: libical's RFC 5546 restriction check (through its GObject binding),
// python-icalendar and vobject, as Debian packages them (gir1.2-ical-3.0, python3-icalendar,
// python3-vobject). `independentReaders` says why they cannot run, for a test's `skip`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./independent-readers.py', import.meta.url));
const PYTHON = '/usr/bin/python3';

export interface ReadEvent {
  uid: string;
  sequence: number;
  status: string;
  summary: string;
  /** UTC instant "2026-11-01T08:30:00Z" for a DATE-TIME, "2026-06-02" for a DATE. */
  start: string;
  end: string;
  /** Each VALARM's TRIGGER ("-PT3H"). */
  alarms: string[];
}

export interface IndependentReading {
  /** libical's RFC 5546 restriction failures; empty when the object passes. */
  libical: string[];
  icalendar: ReadEvent[];
  vobject: ReadEvent[];
}

function probe(): string | undefined {
  const run = spawnSync(PYTHON, ['-c', "import gi; gi.require_version('ICalGLib', '3.0'); from gi.repository import ICalGLib; import icalendar, vobject"], { encoding: 'utf8' });
  if (run.error) return `${PYTHON} is not installed`;
  return run.status === 0 ? undefined : 'apt-get install python3-icalendar python3-vobject gir1.2-ical-3.0 to run this test';
}

/** Undefined when the engines can run, else why not (a test's skip reason). */
export const independentReadersMissing: string | undefined = probe();

/** Every object read by each engine, in order. */
export function readIndependently(objects: string[]): IndependentReading[] {
  const run = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify(objects), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`independent-readers.py failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as IndependentReading[];
}
