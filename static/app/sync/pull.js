// Pulling the change feed (docs/sync-protocol.md): pages of changes after the
// device's cursor, written to the vault with the cursor in one transaction.
// A local edit still waiting to be sent is kept over the server's copy.

import { pullChanges } from "../api.js";
import { readMeta, writeSecrets } from "../vault.js";
import { loadOutbox, outboxByEntity } from "../outbox.js";
import { readDraft } from "../caseload.js";
import { dataChanged } from "./status.js";

// Pulled entities kept as they come (encrypted), under their type as the record kind.
const STORED_AS_IS = new Set(["household", "person", "concern", "alert", "followup", "chronology_event", "visit_plan"]);
const PULL_PAGE = 200;

// A pulled household or person, with the links this device made that the
// server has not applied yet (membership.put ops carry {link: {household_id,
// person_id, residence, member}} beside their sealed envelope).
function withPendingLinks(kind, value, links) {
  if (!links.length || (kind !== "household" && kind !== "person")) return value;
  if (kind === "household") {
    const members = [...(value.members || [])];
    for (const { link } of links) {
      if (link.household_id !== value.id) continue;
      const at = members.findIndex((m) => m.person_id === link.person_id);
      const member = { ...(at >= 0 ? members[at] : link.member || { person_id: link.person_id }), residence: link.residence };
      if (at >= 0) members[at] = member;
      else members.push(member);
    }
    return { ...value, members };
  }
  const households = [...(value.households || [])];
  for (const { link } of links) {
    if (link.person_id !== value.id) continue;
    const at = households.findIndex((h) => h.household_id === link.household_id);
    const entry = { household_id: link.household_id, residence: link.residence };
    if (at >= 0) households[at] = entry;
    else households.push(entry);
  }
  return { ...value, households };
}

async function applyChanges(changes, cursor) {
  const put = [];
  const remove = [];
  const ops = await loadOutbox();
  const pending = await outboxByEntity(ops);
  const links = ops.filter((op) => op.type === "membership.put" && op.link);
  for (const change of changes) {
    const id = change.entity_id;
    // Purged on the server (retention): the device's copy goes too, drafts included.
    const deleted = change.data != null && change.data.deleted === true;
    if (STORED_AS_IS.has(change.type)) {
      if (change.data == null || deleted) remove.push([change.type, id]);
      // A local edit still waiting to be sent stays (like a draft); links
      // made here and not yet sent are kept on the server's copy.
      else if (!pending.has(id)) put.push({ kind: change.type, id, value: withPendingLinks(change.type, change.data, links) });
    } else if (change.type === "checklist") {
      if (deleted) remove.push(["draft", id]);
      if (change.data == null || deleted) {
        remove.push(["checklist", id]);
        continue;
      }
      const copy = { ...change.data, id, rev: change.rev ?? change.data.rev };
      put.push({ kind: "checklist", id, value: copy });
      // A newer server copy (e.g. returned by a team lead) replaces a local
      // draft that has nothing waiting to be sent.
      const draft = await readDraft(id);
      if (draft && !pending.has(id) && (draft.rev || 0) < (copy.rev || 0)) {
        put.push({ kind: "draft", id, value: { ...draft, ...copy } });
      }
    }
    // Unknown types are skipped (newer server, older shell): the cursor still moves.
  }
  await writeSecrets({ put, remove, meta: { pull_cursor: cursor } });
}

/** Pull every page after the cursor; true when anything changed. */
export async function pullAll() {
  let cursor = (await readMeta("pull_cursor")) || 0;
  let changed = false;
  for (let page = 0; page < 1000; page += 1) {
    const answer = await pullChanges({ cursor, limit: PULL_PAGE });
    const changes = Array.isArray(answer.changes) ? answer.changes : [];
    const next = Number.isInteger(answer.cursor) ? answer.cursor : cursor;
    if (changes.length || next !== cursor) await applyChanges(changes, next);
    if (changes.length) {
      changed = true;
      dataChanged();
    }
    if (!answer.more || next === cursor) break;
    cursor = next;
  }
  return changed;
}
