// Opens the local database while the rest of the app is still loading.
//
// app.html loads this module with `async`, so it runs as soon as db.js has
// arrived, not after every module of the app: the first IndexedDB open of a
// cold start (the browser starting its storage backend) then overlaps with
// fetching and compiling the others. main.js gets the same connection, as
// db.js is one module instance for the page. A failure here is left for
// boot() to find and explain.

import { openDb } from "./db.js";

openDb().catch(() => {});
