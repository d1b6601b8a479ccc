// Every migration, in order. Listed here (not read from disk) so they travel with the code.
import type { Migration } from 'kysely/migration';
import * as m0001 from './0001-bookings.ts';
import * as m0002 from './0002-outlook.ts';
import * as m0003 from './0003-login.ts';
import * as m0004 from './0004-shared-access-token.ts';
import * as m0005 from './0005-calendar-connections.ts';
import * as m0006 from './0006-change-emailed.ts';
import * as m0007 from './0007-grant-claim-and-unavailable.ts';
import * as m0008 from './0008-onboarding.ts';
import * as m0010 from './0010-calendar-feeds.ts';
import * as m0011 from './0011-company-delegation.ts';
import * as m0012 from './0012-sign-in.ts';
import * as m0013 from './0013-keep-cancelled-events.ts';
import * as m0014 from './0014-operator-alarms.ts';
import * as m0015 from './0015-sign-in-next.ts';

export const migrations: Record<string, Migration> = {
  '0001-bookings': m0001,
  '0002-outlook': m0002,
  '0003-login': m0003,
  '0004-shared-access-token': m0004,
  '0005-calendar-connections': m0005,
  '0006-change-emailed': m0006,
  '0007-grant-claim-and-unavailable': m0007,
  '0008-onboarding': m0008,
  '0010-calendar-feeds': m0010,
  '0011-company-delegation': m0011,
  '0012-sign-in': m0012,
  '0013-keep-cancelled-events': m0013,
  '0014-operator-alarms': m0014,
  '0015-sign-in-next': m0015,
};
