// The local database, opened while the page is still loading. The page loads
// this module on its own (async), so it runs as soon as it has arrived, not
// after every module of the passphrase step has been fetched, compiled and
// run: the browser opens the database (30-60 ms on a cold browser, measured
// on the development machine) in the meantime, and boot's first read of the
// vault finds the connection made.
// A failure is left to that first read, which says what it means (boot.js).

import { openDb } from "./db.js";

openDb().catch(() => {});
