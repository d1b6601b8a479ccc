// Run as a child process: writes one booking into the embedded database at argv[2], then dies
// with SIGKILL before any worker could send its email, as a crashed server would.
import { bookings } from '../../src/store/bookings.ts';
import { openStore } from '../../src/store/database.ts';
import { createOrganisation, createUser } from '../../src/store/organisations.ts';
import { tripInput } from '../fixtures/trips.ts';

const store = await openStore({ dataDir: process.argv[2] });
const org = await createOrganisation(store.db, 'Sakura Trading');
await createUser(store.db, org.id, { email: 'taro@example.com', displayName: '山田 太郎', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo' });
await bookings(store).create(org.id, tripInput('taro@example.com'));
process.stdout.write('booked\n');
process.kill(process.pid, 'SIGKILL');
