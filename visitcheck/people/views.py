"""/map/<household>: the family map across households (lesson L4)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..extensions import db, keyring
from ..review import service as review
from ..review.models import Decision, Procedure
from . import network
from .forms import ComplexAbuseEscalationForm

bp = Blueprint("people", __name__, url_prefix="/map")


def _map(household_id: str):
    try:
        return network.family_map(db.session, viewer=current_user, household_id=household_id,
                                  keyring=keyring())
    except network.MapForbidden:
        abort(403)
    except network.MapNotFound:
        abort(404)


def _escalation_form(family: network.FamilyMap) -> ComplexAbuseEscalationForm | None:
    if current_user.role != "team_lead" or not family.complex_abuse:
        return None
    form = ComplexAbuseEscalationForm()
    form.checklist.choices = {c.value: c.label for c in review.escalation_candidates(
        db.session, lead=current_user, household_ids=family.visible_household_ids,
        keyring=keyring())}
    return form


@bp.get("/<uuid:household_id>")
@login_required
def family_map(household_id):
    family = _map(str(household_id))
    form = _escalation_form(family)
    db.session.commit()  # the audit events
    return render_template("people/map.html", family=family, form=form,
                           procedure=Procedure.ORGANISED_COMPLEX_ABUSE.value)


@bp.post("/<uuid:household_id>/escalate")
@login_required
def escalate(household_id):
    if current_user.role != "team_lead":
        abort(403)
    family = _map(str(household_id))
    form = _escalation_form(family)
    if form is None:
        abort(404)
    if not form.validate_on_submit():
        db.session.commit()
        return render_template("people/map.html", family=family, form=form,
                               procedure=Procedure.ORGANISED_COMPLEX_ABUSE.value), 400
    try:
        review.decide(db.session, lead=current_user, public_id=form.checklist.data,
                      decision=Decision.ESCALATE, procedure=Procedure.ORGANISED_COMPLEX_ABUSE,
                      comment=form.comment.data or "", keyring=keyring())
    except review.ChecklistNotFound:
        abort(404)
    except review.DecisionRefused as refused:
        db.session.rollback()
        family = _map(str(household_id))  # the rollback took the view's audit events
        db.session.commit()
        form.checklist.errors = [refused.message]
        return render_template("people/map.html", family=family, form=form,
                               procedure=Procedure.ORGANISED_COMPLEX_ABUSE.value), 409
    db.session.commit()
    flash("Escalated under the organised and complex abuse procedure.")
    return redirect(url_for("review.checklist", checklist_id=form.checklist.data))
