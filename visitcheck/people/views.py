"""/map/<household>: the family map across households (lesson L4)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from ..auth.models import Role
from ..extensions import db, keyring
from ..review import decisions
from ..review.models import Procedure
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
    if current_user.role != Role.TEAM_LEAD or not family.complex_abuse:
        return None
    form = ComplexAbuseEscalationForm()
    form.checklist.choices = {c.value: c.label for c in decisions.escalation_candidates(
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
