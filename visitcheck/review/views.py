"""/review: the team lead's queue, one checklist with its decision form, and alerts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db, keyring
from ..notify import service as notify
from ..sharing import service as sharing
from . import service
from .forms import DecisionForm, QueueFilterForm

bp = Blueprint("review", __name__, url_prefix="/review")


def _require_lead() -> None:
    if current_user.role != "team_lead":
        abort(403)


@bp.get("")
@login_required
def queue():
    _require_lead()
    form = QueueFilterForm(request.args)
    form.set_choices(service.queue_choices(db.session, lead=current_user, keyring=keyring()))
    valid = form.validate()
    filters = form.filters() if valid else service.QueueFilters()
    page = service.team_queue(db.session, lead=current_user, keyring=keyring(),
                              filters=filters)
    attention = notify.attention(db.session, lead=current_user)
    db.session.commit()  # the audit event
    # An invalid filter shows the whole queue with the errors beside the fields, as
    # a 400 so a probe (a page past 2^63, the year 9999) is answered as refused.
    return render_template("review/queue.html", page=page, form=form, attention=attention,
                           args={k: v for k, v in request.args.items() if k != "page"}
                           ), 200 if valid else 400


def _render_checklist(checklist_id: str, form: DecisionForm, error: str | None = None,
                      status: int = 200):
    try:
        detail = service.open_for_review(db.session, lead=current_user,
                                         public_id=checklist_id, keyring=keyring())
    except service.ReviewForbidden:
        abort(403)
    except service.ChecklistNotFound:
        abort(404)
    attention = notify.attention(db.session, lead=current_user)
    db.session.commit()  # the audit events
    if not form.rev.data:
        form.rev.data = str(detail.rev)
    return render_template("review/checklist.html", checklist=detail, form=form,
                           error=error, attention=attention), status


@bp.get("/<uuid:checklist_id>")
@login_required
def checklist(checklist_id):
    form = DecisionForm(formdata=None)
    if request.args.get("procedure"):
        form.decision.data = "escalate"
        form.procedure.data = request.args["procedure"]
    return _render_checklist(str(checklist_id), form)


@bp.post("/<uuid:checklist_id>/decision")
@login_required
def decide(checklist_id):
    _require_lead()
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_checklist(str(checklist_id), form, status=400)
    try:
        service.decide(db.session, lead=current_user, public_id=str(checklist_id),
                       decision=form.decision.data, procedure=form.procedure.data or None,
                       comment=form.comment.data or "",
                       supervision_date=form.supervision_date.data,
                       expected_rev=form.expected_rev(), keyring=keyring())
    except service.ChecklistNotFound:
        abort(404)
    except service.DecisionRefused as refused:
        db.session.rollback()
        if refused.field:
            getattr(form, refused.field).errors = [refused.message]
        return _render_checklist(str(checklist_id), form, error=refused.message, status=409
                                 if isinstance(refused, service.ChecklistChanged |
                                               service.NotAwaitingDecision) else 400)
    db.session.commit()
    flash(service.DECISION_WORDS[form.decision.data] + ".")
    return redirect(url_for("review.checklist", checklist_id=checklist_id))


@bp.get("/alerts")
@login_required
def alerts():
    _require_lead()
    groups = sharing.team_alerts(db.session, lead=current_user, keyring=keyring())
    db.session.commit()  # the audit event
    return render_template("review/alerts.html", groups=groups)
