// The visit screen: open a new or an existing visit (a checklist; an observation
// is one too), hold it while it is open (only one tab may edit a draft: Web
// Locks), draw it, save it, submit it after the check, withdraw a submission,
// and go back. This module owns the open visit; the live flags are drawn by
// visit-flags.js and the screen's other parts by visit-panels.js.

import { isUnlocked, VaultLockedError } from "../vault.js";
import { currentBootstrap, findTemplate } from "../session.js";
import { saveChecklist, withdrawChecklist } from "../sync/queue.js";
import { outboxByEntity } from "../outbox.js";
import { renderChecklist } from "../form.js";
import { getVisit, readDraft } from "../caseload.js";
import { prefillS3, recordVisitFacts, s3Errors } from "../visitfacts.js";
import { el } from "../dom.js";
import { newestTemplate } from "../observation.js";
import { acquireDraftLock, whenDraftFrees } from "./draft-lock.js";
import { describeAttention, conflictHolder } from "./attention.js";
import { nav } from "./nav.js";
import { $, STATUS_LABELS, dateTimeOf, showMessage, showScreen, syncIfOnline, timeOf } from "./ui.js";
import { renderFlags, rulesInputFor, serverFlagsFor } from "./visit-flags.js";
import { renderReview, renderSectionNav, renderWithdraw, showFormErrors, showSubmitSummary } from "./visit-panels.js";

// The visit open now, or null: {draft, form, editable, releaseLock, template,
// household, isNew, rulesInput, serverFlags, stopWaiting, savedAnswers, s3Before}
// (and, for a while, needsRedraw and summaryConfirmed).
let openVisit = null;

// The live flags of the visit open now (visit-flags.js), or none.
function drawFlags() {
  renderFlags(openVisit, { stillOpen: (visit) => visit === openVisit });
}

// New visits start on the latest version of the home-visit template, and of that template
// only (never another one's, such as child-observation); drafts keep their version.
export async function openNew(householdId) {
  const template = newestTemplate(currentBootstrap()?.templates, "home-visit");
  if (!template) {
    showMessage("No checklist available", "This device has no checklist templates yet. Sync online once.");
    return;
  }
  const draft = {
    id: crypto.randomUUID(),
    household_id: householdId,
    template: template.template,
    template_version: template.version,
    status: "draft",
    answers: {},
    saved_at: null,
    rev: 0,
  };
  await showVisit(draft, { isNew: true });
}

export async function openExisting(entityId) {
  const visit = await getVisit(entityId);
  if (!visit) return;
  await showVisit(visit, { isNew: false });
}

// Read-only here because another tab has the draft open: once that tab lets go,
// open it again here, editable, with what the other tab saved. Closing the visit
// here first stops the wait (the signal).
function reopenWhenDraftFrees(entityId, signal) {
  whenDraftFrees(entityId, signal, () => {
    if (openVisit && openVisit.draft.id === entityId && !openVisit.editable && isUnlocked()) {
      return openExisting(entityId);
    }
    return undefined;
  });
}

/** Let go of the open visit (its draft lock too) and empty the visit screen. */
export function closeVisit() {
  if (openVisit && openVisit.releaseLock) openVisit.releaseLock();
  if (openVisit && openVisit.stopWaiting) openVisit.stopWaiting.abort();
  openVisit = null;
  drawFlags();
  $("section-nav").replaceChildren();
  renderReview(null);
  $("flags-list").replaceChildren();
  document.getElementById("followup")?.remove();
  $("checklist-body").replaceChildren();
  $("form-attention").replaceChildren();
  $("form-errors").replaceChildren();
  $("form-errors").hidden = true;
  $("form-message").textContent = "";
}

// Entities changed (here or by a pull) while a visit is open: the flags see it at once.
export async function refreshOpenVisitFlags() {
  if (!openVisit || !isUnlocked()) return;
  const visit = openVisit;
  try {
    const input = await rulesInputFor(visit.draft.household_id);
    const serverFlags = await serverFlagsFor(visit.draft.id);
    if (openVisit !== visit) return;
    visit.rulesInput = input;
    visit.serverFlags = serverFlags;
    drawFlags();
  } catch (error) {
    if (!(error instanceof VaultLockedError)) console.error(error);
  }
}

let flagTimer = null;

function buildForm({ template, household, concerns, answers }) {
  return renderChecklist({
    template, household, concerns, answers,
    onChange: () => {
      clearTimeout(flagTimer);
      flagTimer = setTimeout(drawFlags, 250);
    },
  });
}

// A save added people to S2 or a concern from S3: draw the form again so the
// new people are members (S1, S2, S4, S5 repeat over them) and S3 lists them,
// keeping the answers, the scroll position and the visit's lock.
async function redrawOpenVisit() {
  const visit = openVisit;
  if (!visit || !isUnlocked()) return;
  const rulesInput = await rulesInputFor(visit.draft.household_id);
  if (openVisit !== visit) return;
  const answers = visit.form.answers();
  const form = buildForm({ template: visit.template, household: rulesInput.household, concerns: rulesInput.concerns, answers });
  form.setDisabled(!visit.editable);
  const y = window.scrollY;
  Object.assign(visit, { form, rulesInput, household: rulesInput.household });
  $("checklist-body").replaceChildren(form.element);
  renderSectionNav(form);
  window.scrollTo(0, y);
  drawFlags();
}

/** From an open visit: keep its answers (saved if edited), see the household's people, come back. */
export async function onPeopleFromVisit() {
  if (!openVisit) return;
  await saveOpenDraftQuietly();
  if (!openVisit) return;
  const { draft, form, isNew } = openVisit;
  const resume = { draft: { ...draft, answers: form.answers() }, isNew };
  closeVisit();
  await nav.showPeople(draft.household_id, { fromVisit: resume });
}

export async function showVisit(draft, { isNew }) {
  closeVisit();
  const template = findTemplate(draft.template, draft.template_version);
  if (!template) {
    showMessage("Checklist version not available",
      `This visit uses ${draft.template} version ${draft.template_version}, which this device does not have yet. Sync online and try again.`);
    return;
  }
  const rulesInput = await rulesInputFor(draft.household_id);
  const serverFlags = await serverFlagsFor(draft.id);
  const { household, concerns } = rulesInput;
  const outbox = await outboxByEntity();
  const entry = outbox.get(draft.id);
  const needsAttention = Boolean(entry && entry.attention.length);
  // A visit the server set aside can be corrected and sent again, even if it was submitted.
  const editableStatus = needsAttention || ["draft", "returned"].includes(draft.status || "draft");
  const releaseLock = editableStatus ? await acquireDraftLock(draft.id) : () => {};
  const lockedElsewhere = editableStatus && releaseLock === null;
  const editable = editableStatus && !lockedElsewhere;

  // An editable visit's S3 shows each concern record as it is now (with what
  // this device saved into it); a submitted visit shows what was recorded then.
  const answers = editable ? prefillS3(draft.answers || {}, concerns, household) : (draft.answers || {});
  const form = buildForm({ template, household, concerns, answers });
  form.setDisabled(!editable);
  openVisit = {
    draft: { ...draft }, form, editable, releaseLock: releaseLock || null, template, household, isNew,
    rulesInput, serverFlags, stopWaiting: lockedElsewhere ? new AbortController() : null,
    // What S2 and S3 held when opened or last saved: a save sends entity ops
    // only for what changed since (visitfacts.js).
    savedAnswers: draft.answers || {},
    s3Before: { ...((answers.risky_adults && answers.risky_adults.concerns) || {}) },
  };
  if (lockedElsewhere) reopenWhenDraftFrees(draft.id, openVisit.stopWaiting.signal);
  drawFlags();

  $("form-title").textContent = template.title || "Visit";
  $("form-household").textContent = household.address || "";
  let state = STATUS_LABELS[draft.status] || "Draft";
  if (draft.saved_at) state += ` · last saved ${dateTimeOf(draft.saved_at)}`;
  if (lockedElsewhere) state += " · being edited in another visitcheck tab or window on this device, so read-only here: close it there and it opens here for editing";
  else if (!editable) state += " · read-only";
  $("form-state").textContent = state;
  $("checklist-body").replaceChildren(form.element);
  renderSectionNav(form);
  renderReview(draft.review);
  $("save-draft").hidden = !editable;
  $("submit").hidden = !editable;
  renderWithdraw(draft, { editable, needsAttention, onWithdraw });
  const summaryBox = document.getElementById("submit-summary");
  if (summaryBox) summaryBox.hidden = true;
  $("form-message").textContent = "";

  const box = $("form-attention");
  box.replaceChildren();
  box.hidden = true;
  if (needsAttention) {
    const op = entry.attention[0];
    box.hidden = false;
    box.append(el("p", {}, el("strong", { text: "Needs attention: " }), describeAttention(op)));
    const errors = op.reason?.error?.errors || [];
    if (errors.length) showFormErrors(form, errors, { heading: "The server could not accept this visit" });
    if (op.reason?.status === "conflict") {
      box.append(conflictHolder(draft.id, draft, [household], async () => {
        closeVisit(); await nav.renderList(); showScreen("list"); syncIfOnline();
      }));
    }
  }
  showScreen("form");
  $("form-title").focus();
  window.scrollTo(0, 0);
}

// Withdraw (issue 11): a visit submitted by mistake goes back to draft until the lead
// decides. Offline too: the withdrawal waits in the outbox like any op.
async function onWithdraw() {
  if (!openVisit || openVisit.editable || openVisit.draft.status !== "submitted") return;
  const node = $("withdraw");
  node.disabled = true;
  try {
    const { draft } = openVisit;
    await withdrawChecklist(draft);
    const stored = await readDraft(draft.id);
    await showVisit(stored || { ...draft, status: "draft" }, { isNew: false });
    $("form-message").textContent = "Withdrawn: back to a draft you can change and submit again. The team lead will not review it until you do.";
    syncIfOnline();
  } catch (error) {
    console.error(error);
    $("form-message").textContent = `Could not withdraw: ${error.message}`;
  } finally {
    node.disabled = false;
  }
}

function collectDraft(status) {
  const { draft, form } = openVisit;
  return { ...draft, answers: form.answers(), status, saved_at: new Date().toISOString() };
}

// Saving a visit also records what S2 and S3 say about people on their own
// records (visitfacts.js), queued before the checklist. Saves run one after
// another (a quick second click, or leaving while a save runs, must not
// compare against answers a running save has not stored yet), each with the
// answers of the moment it was asked for. Returns what could not be
// recorded yet, in words.
let saving = Promise.resolve();

// quiet: a save nobody is looking at (leaving the visit, locking, the app
// hidden): the form is not drawn again now, but on the next save or return.
function persist(status, { quiet = false } = {}) {
  const visit = openVisit;
  const next = collectDraft(status);
  const run = saving.then(() => persistVisit(visit, next, status, quiet));
  saving = run.catch(() => {});
  return run;
}

async function persistVisit(visit, next, status, quiet) {
  const facts = await recordVisitFacts({ visit: next, savedAnswers: visit.savedAnswers, s3Before: visit.s3Before });
  await saveChecklist(next);
  const stored = await readDraft(next.id);
  visit.draft = stored || next;
  visit.isNew = false;
  visit.savedAnswers = next.answers;
  visit.s3Before = facts.s3Before;
  if (openVisit === visit && JSON.stringify(visit.form.answers()) === JSON.stringify(next.answers)) visit.form.markClean();
  if (facts.structural) visit.needsRedraw = true;
  if (!quiet && status !== "submitted") await redrawIfNeeded(visit);
  return facts.notes;
}

async function redrawIfNeeded(visit) {
  if (openVisit !== visit || !isUnlocked()) return;
  if (visit.needsRedraw) {
    visit.needsRedraw = false;
    await redrawOpenVisit();
  } else {
    await refreshOpenVisitFlags();
  }
}

export async function onSaveDraft() {
  if (!openVisit || !openVisit.editable) return;
  // A draft may have gaps, not a date that cannot be right: the server would refuse it.
  const wrongDates = openVisit.form.validate({ required: false });
  if (wrongDates.length) {
    showFormErrors(openVisit.form, wrongDates);
    $("form-message").textContent = "Not saved: a date cannot be right (see above).";
    openVisit.form.focusField(wrongDates[0].field);
    return;
  }
  const buttonNode = $("save-draft");
  buttonNode.disabled = true;
  const visit = openVisit;
  try {
    const notes = await persist("draft");
    syncIfOnline();
    if (openVisit !== visit) return; // left the visit while it was saving
    $("form-message").textContent = [`Draft saved on this device at ${timeOf(visit.draft.saved_at)}.`, ...notes].join(" ");
    $("form-state").textContent = `Draft · last saved ${dateTimeOf(visit.draft.saved_at)}`;
  } catch (error) {
    console.error(error);
    $("form-message").textContent = `Could not save: ${error.message}`;
  } finally {
    buttonNode.disabled = false;
  }
}

export async function onSubmit(event) {
  event.preventDefault();
  if (!openVisit || !openVisit.editable) return;
  const { form } = openVisit;
  form.clearErrors();
  $("form-errors").hidden = true;
  const { rulesInput, s3Before } = openVisit;
  const errors = [...form.validate(),
    ...s3Errors({ answers: form.answers(), concerns: rulesInput.concerns, s3Before, household: rulesInput.household })];
  if (errors.length) {
    showFormErrors(form, errors);
    $("form-message").textContent = "Not submitted yet: some answers are missing.";
    form.focusField(errors[0].field);
    return;
  }
  // The check before submitting: shown first, the practitioner confirms (issue 11).
  if (!openVisit.summaryConfirmed) {
    showSubmitSummary(openVisit, {
      confirm: () => {
        openVisit.summaryConfirmed = true;
        $("checklist-form").requestSubmit();
      },
      hide: hideSubmitSummary,
    });
    return;
  }
  openVisit.summaryConfirmed = false;
  hideSubmitSummary();
  const submitButton = $("submit");
  submitButton.disabled = true;
  try {
    await persist("submitted");
    closeVisit();
    await nav.renderList();
    showScreen("list");
    $("main").focus();
    syncIfOnline();
  } catch (error) {
    console.error(error);
    $("form-message").textContent = `Could not submit: ${error.message}`;
  } finally {
    submitButton.disabled = false;
  }
}

// Back from the check before submitting: the form's own buttons again.
function hideSubmitSummary() {
  const box = document.getElementById("submit-summary");
  if (box) box.hidden = true;
  if (openVisit && openVisit.editable) {
    $("submit").hidden = false;
    $("save-draft").hidden = false;
  }
}

/** Save the open draft, if it has unsaved edits, without leaving the form. */
export async function saveOpenDraftQuietly() {
  if (!openVisit || !openVisit.editable || !openVisit.form.dirty || !isUnlocked()) return;
  try {
    await persist("draft", { quiet: true });
  } catch (error) {
    console.error("could not save the open draft", error);
  }
}

export async function onBackToList() {
  await saveOpenDraftQuietly();
  closeVisit();
  await nav.renderList();
  showScreen("list");
  syncIfOnline();
}

/** Leaving the app (switching task on the tablet) saves an open draft; coming back draws it again if a save asked to. */
export function onAppVisibility() {
  if (document.visibilityState === "hidden") saveOpenDraftQuietly();
  else if (openVisit && openVisit.needsRedraw) redrawIfNeeded(openVisit).catch((error) => console.error(error));
}
