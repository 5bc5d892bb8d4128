// The last-resort export (docs/sync-protocol.md, "Last-resort export"): the
// outbox's ops, already sealed one by one, gathered into one JSON document
// that is itself sealed to the server's key as a single envelope of type
// "export". The file is opaque on the device and on the way to the
// administrator; only the server opens it, and importing it is idempotent
// like a push, so an export followed by a normal sync does no harm.

import { sealEnvelope } from "./seal.js";

export const EXPORT_FORMAT = 1;
export const EXPORT_KIND = "visitcheck-export";
export const EXPORT_TYPE = "export";

function stamp(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}`;
}

/**
 * Build the export file for outbox ops. sealingKey: {kid, public_key} from
 * bootstrap. Returns {name, blob, count}. The file name says nothing about
 * what is in it.
 */
export async function buildExport({ ops, deviceId, userId, sealingKey, now = new Date() }) {
  if (!sealingKey || !sealingKey.kid || !sealingKey.public_key) {
    throw new Error("No sealing key yet: sign in online once.");
  }
  const exportId = crypto.randomUUID();
  const content = {
    v: EXPORT_FORMAT,
    kind: EXPORT_KIND,
    export_id: exportId,
    user_id: userId,
    device_id: deviceId,
    created_at: now.toISOString(),
    ops: ops.map((op) => ({
      op_id: op.op_id, type: op.type, entity_id: op.entity_id, base_rev: op.base_rev, sealed: op.sealed,
    })),
  };
  // The export's own identity is its additional data: type "export", entity
  // and op id both the export id, base revision 0.
  const sealed = await sealEnvelope({
    kid: sealingKey.kid,
    publicKey: sealingKey.public_key,
    type: EXPORT_TYPE,
    entityId: exportId,
    opId: exportId,
    baseRev: 0,
    plaintext: content,
  });
  const file = { visitcheck_export: EXPORT_FORMAT, export_id: exportId, sealed };
  return {
    name: `visitcheck-export-${stamp(now)}-${exportId.slice(0, 8)}.json`,
    blob: new Blob([JSON.stringify(file)], { type: "application/json" }),
    count: content.ops.length,
  };
}

/** Hand a built file to the browser's download machinery (never stored by the app). */
export function downloadFile({ name, blob }) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
