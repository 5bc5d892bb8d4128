// Pushing the outbox (docs/sync-protocol.md): ready ops go in small batches;
// each answer takes an op out (applied, duplicate) or sets it aside with its
// reason (conflict, rejected: "attention"), and the revision the server gave
// moves the device's copy on. Later ops of other entities keep flowing.

import { pushOps } from "../api.js";
import { readSecret } from "../vault.js";
import { changeOutbox } from "../outbox.js";
import { readDraft } from "../caseload.js";
import { ENTITY_KINDS } from "./queue.js";
import { dataChanged, emit, refreshCounts } from "./status.js";

// The server takes up to 100 ops a request; smaller batches are answered (and
// leave the outbox) as they go, so a connection that drops part-way through a
// long queue costs one small batch, not the whole queue.
const MAX_OPS_PER_PUSH = 25;

async function applyResults(batch, results) {
  await changeOutbox(async (outbox) => {
    const byId = new Map(results.map((result) => [result.op_id, result]));
    const current = new Map(outbox.ops.map((op) => [op.op_id, op]));
    const revs = new Map();
    const entityRevs = new Map(); // the device's copies of households, persons, concerns
    for (const sent of batch) {
      const result = byId.get(sent.op_id);
      const op = current.get(sent.op_id);
      if (!result || !op) continue;
      if (result.status === "applied" || result.status === "duplicate") {
        outbox.remove([op]);
        if (Number.isInteger(result.rev)) revs.set(op.entity_id, result.rev);
        if (Number.isInteger(result.rev) && ENTITY_KINDS[op.type]) entityRevs.set(op.entity_id, [ENTITY_KINDS[op.type], result.rev]);
      } else if (result.status === "conflict") {
        outbox.update(op, { state: "attention", reason: { status: "conflict", rev: result.rev, current: result.current || null } });
      } else if (result.status === "rejected") {
        outbox.update(op, {
          state: "attention", reason: { status: "rejected", error: result.error || { title: "Rejected by the server" } },
        });
      }
    }
    for (const [entityId, rev] of revs) {
      const draft = await readDraft(entityId);
      if (draft && (draft.rev || 0) < rev) outbox.write([{ kind: "draft", id: entityId, value: { ...draft, rev } }]);
    }
    for (const [entityId, [kind, rev]] of entityRevs) {
      const copy = await readSecret(kind, entityId);
      if (copy && (copy.rev || 0) < rev) outbox.write([{ kind, id: entityId, value: { ...copy, rev } }]);
    }
  });
}

/** Push what is ready, batch after batch, until nothing is or a batch goes unanswered. */
export async function flushOutbox(deviceId) {
  for (;;) {
    const batch = await changeOutbox((outbox) => {
      const blocked = new Set(outbox.ops.filter((op) => op.state === "attention").map((op) => op.entity_id));
      const ready = outbox.ops.filter((op) => op.state !== "attention" && !blocked.has(op.entity_id)).slice(0, MAX_OPS_PER_PUSH);
      // Count the attempt before sending, so a later save appends instead of replacing.
      for (const op of ready) outbox.update(op, { attempts: (op.attempts || 0) + 1 });
      return ready;
    });
    if (!batch.length) return;
    emit({ phase: "sending", sending: batch.length });
    const answer = await pushOps({
      deviceId,
      ops: batch.map((op) => ({
        op_id: op.op_id, type: op.type, entity_id: op.entity_id, base_rev: op.base_rev, sealed: op.sealed,
      })),
    });
    const results = Array.isArray(answer && answer.results) ? answer.results : [];
    await applyResults(batch, results);
    await refreshCounts();
    dataChanged();
    const answered = results.filter((r) => r.status).length;
    if (answered === 0 || batch.length < MAX_OPS_PER_PUSH) return;
  }
}
