"""/review: the team lead's queue, one checklist with its decision form, and alerts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..auth.models import Role
from ..auth.roles import role_required
from ..extensions import db, keyring
from ..notify import service as notify
from ..people.views import _escalation_form, _map
from ..sharing import service as sharing
from . import decisions, page, words
from . import queue as queue_service
from .forms import DecisionForm, QueueFilterForm
from .models import Decision, Procedure

bp = Blueprint("review", __name__, url_prefix="/review")
# The family map's escalation: a lead's decision, at the map's own address.
map_bp = Blueprint("review_map", __name__, url_prefix="/map")


@bp.get("")
@login_required
@role_required(Role.TEAM_LEAD)
def queue():
    form = QueueFilterForm(request.args)
    form.set_choices(queue_service.queue_choices(db.session, lead=current_user, keyring=keyring()))
    valid = form.validate()
    filters = form.filters() if valid else queue_service.QueueFilters()
    page = queue_service.team_queue(db.session, lead=current_user, keyring=keyring(),
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
        detail = page.open_for_review(db.session, lead=current_user,
                                         public_id=checklist_id, keyring=keyring())
    except decisions.ReviewForbidden:
        abort(403)
    except decisions.ChecklistNotFound:
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
@role_required(Role.TEAM_LEAD)
def decide(checklist_id):
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_checklist(str(checklist_id), form, status=400)
    try:
        decisions.decide(db.session, lead=current_user, public_id=str(checklist_id),
                       decision=form.decision.data, procedure=form.procedure.data or None,
                       comment=form.comment.data or "",
                       supervision_date=form.supervision_date.data,
                       expected_rev=form.expected_rev(), keyring=keyring())
    except decisions.ChecklistNotFound:
        abort(404)
    except decisions.DecisionRefused as refused:
        db.session.rollback()
        if refused.field:
            getattr(form, refused.field).errors = [refused.message]
        return _render_checklist(str(checklist_id), form, error=refused.message, status=409
                                 if isinstance(refused, decisions.ChecklistChanged |
                                               decisions.NotAwaitingDecision) else 400)
    db.session.commit()
    flash(words.DECISION_WORDS[form.decision.data] + ".")
    return redirect(url_for("review.checklist", checklist_id=checklist_id))


@bp.get("/alerts")
@login_required
@role_required(Role.TEAM_LEAD)
def alerts():
    # Anything but a positive number is the first page; past the last, the last.
    shown = sharing.team_alerts(db.session, lead=current_user, keyring=keyring(),
                                page=request.args.get("page", 1, type=int))
    db.session.commit()  # the audit events
    return render_template("review/alerts.html", page=shown)


@map_bp.post("/<uuid:household_id>/escalate")
@login_required
@role_required(Role.TEAM_LEAD)
def escalate(household_id):
    """An escalation from the family map under the organised and complex abuse
    procedure: a lead's decision, so review's (its URL stays the map's)."""
    family = _map(str(household_id))
    form = _escalation_form(family)
    if form is None:
        abort(404)
    if not form.validate_on_submit():
        db.session.commit()
        return render_template("people/map.html", family=family, form=form,
                               procedure=Procedure.ORGANISED_COMPLEX_ABUSE.value), 400
    try:
        decisions.decide(db.session, lead=current_user, public_id=form.checklist.data,
                      decision=Decision.ESCALATE, procedure=Procedure.ORGANISED_COMPLEX_ABUSE,
                      comment=form.comment.data or "", keyring=keyring())
    except decisions.ChecklistNotFound:
        abort(404)
    except decisions.DecisionRefused as refused:
        db.session.rollback()
        family = _map(str(household_id))  # the rollback took the view's audit events
        db.session.commit()
        form.checklist.errors = [refused.message]
        return render_template("people/map.html", family=family, form=form,
                               procedure=Procedure.ORGANISED_COMPLEX_ABUSE.value), 409
    db.session.commit()
    flash("Escalated under the organised and complex abuse procedure.")
    return redirect(url_for("review.checklist", checklist_id=form.checklist.data))
