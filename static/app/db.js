// IndexedDB access for the "visitcheck" database.
//
// Two stores:
//   meta     small non-personal items (vault salt, wrapped key, device id,
//            pull cursor, ...), out-of-line keys.
//   records  every personal record, exactly {id, kind, iv, ciphertext},
//            key path ["kind", "id"], index "kind". Encryption happens in
//            vault.js before a transaction is opened here: nothing in this
//            module awaits anything but IndexedDB itself.

export const DB_NAME = "visitcheck";
const DB_VERSION = 1;

let dbPromise = null;
let openedDb = null;

function upgrade(db, oldVersion) {
  if (oldVersion < 1) {
    db.createObjectStore("meta");
    const records = db.createObjectStore("records", { keyPath: ["kind", "id"] });
    records.createIndex("kind", "kind", { unique: false });
  }
}

function requestToPromise(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** The shared connection (opened once, reopened if the browser closes it). */
export function openDb() {
  if (dbPromise) return dbPromise;
  dbPromise = new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = (event) => upgrade(request.result, event.oldVersion);
    request.onblocked = () => reject(new Error("The local database is open in an older tab; close it and retry."));
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
      const db = request.result;
      openedDb = db;
      // Another tab wants to upgrade or delete the database: let it, and
      // open a new connection the next time one is needed.
      db.onversionchange = () => {
        db.close();
        forget(db);
      };
      // The browser closed the connection (storage cleared, crash): reopen lazily.
      db.onclose = () => {
        forget(db);
      };
      resolve(db);
    };
  });
  dbPromise.catch(() => {
    dbPromise = null;
  });
  return dbPromise;
}

function forget(db) {
  // Only forget the connection we were told about, not a newer one.
  if (dbPromise && db === openedDb) {
    dbPromise = null;
    openedDb = null;
  }
}

function runTransaction(db, names, mode, body) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode);
    let result;
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
    let pending;
    try {
      // body only issues requests synchronously or chains on request callbacks.
      pending = body(tx);
    } catch (error) {
      // e.g. a DataCloneError from put(): nothing of this batch may be kept.
      try { tx.abort(); } catch { /* already finished */ }
      reject(error);
      return;
    }
    Promise.resolve(pending).then((value) => {
      result = value;
    }, (error) => {
      try { tx.abort(); } catch { /* already finished */ }
      reject(error);
    });
  });
}

async function withStores(names, mode, body) {
  const db = await openDb();
  try {
    return await runTransaction(db, names, mode, body);
  } catch (error) {
    // The connection was closed under us (by the browser, or another tab's
    // upgrade or delete) before we heard of it: open a new one and try once more.
    if (error && error.name === "InvalidStateError") {
      forget(db);
      return runTransaction(await openDb(), names, mode, body);
    }
    throw error;
  }
}

/** Read one meta value (undefined when absent). */
export async function getMeta(key) {
  return withStores(["meta"], "readonly", (tx) => requestToPromise(tx.objectStore("meta").get(key)));
}

/** Read several meta values as an object {key: value}. */
export async function getMetaMany(keys) {
  return withStores(["meta"], "readonly", async (tx) => {
    const store = tx.objectStore("meta");
    const values = await Promise.all(keys.map((key) => requestToPromise(store.get(key))));
    return Object.fromEntries(keys.map((key, i) => [key, values[i]]));
  });
}

/** Write several meta values in one transaction. */
export async function setMeta(values) {
  return writeBatch({ meta: values });
}

/** One record {id, kind, iv, ciphertext} or undefined. */
export async function getRecord(kind, id) {
  return withStores(["records"], "readonly", (tx) => requestToPromise(tx.objectStore("records").get([kind, id])));
}

/** Every record of a kind. */
export async function getRecordsByKind(kind) {
  return withStores(["records"], "readonly", (tx) =>
    requestToPromise(tx.objectStore("records").index("kind").getAll(IDBKeyRange.only(kind))));
}

/** How many records of a kind (readable without the key). */
export async function countRecords(kind) {
  return withStores(["records"], "readonly", (tx) =>
    requestToPromise(tx.objectStore("records").index("kind").count(IDBKeyRange.only(kind))));
}

/**
 * Apply writes atomically in one transaction.
 * put: [{id, kind, iv, ciphertext}], remove: [[kind, id]],
 * meta: {key: value}, metaRemove: [key].
 * Everything must already be encrypted: no awaiting inside.
 */
export async function writeBatch({ put = [], remove = [], meta = {}, metaRemove = [] } = {}) {
  return withStores(["records", "meta"], "readwrite", (tx) => {
    const records = tx.objectStore("records");
    const metaStore = tx.objectStore("meta");
    for (const key of remove) records.delete(key);
    for (const record of put) records.put(record);
    for (const [key, value] of Object.entries(meta)) metaStore.put(value, key);
    for (const key of metaRemove) metaStore.delete(key);
  });
}

/** Close our connection and delete the whole database. */
export async function deleteDatabase() {
  if (dbPromise) {
    try {
      (await dbPromise).close();
    } catch { /* never opened */ }
    dbPromise = null;
    openedDb = null;
  }
  await new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(DB_NAME);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
    // Other tabs close on versionchange; if one does not, the delete waits.
    request.onblocked = () => {};
  });
}
