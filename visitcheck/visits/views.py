"""/visits/plan/<household>: the team lead plans a visit to a household of the team
(the practitioner plans on the tablet). The plan reaches the devices holding the
household by the same pull as a plan made on a tablet."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..errors import OpRefused
from ..extensions import db, keyring
from . import service
from .forms import PlanVisitForm

bp = Blueprint("visits", __name__, url_prefix="/visits")


@bp.route("/plan/<uuid:household_id>", methods=["GET", "POST"])
@login_required
def plan(household_id):
    form = PlanVisitForm()
    try:
        household, address, plans = service.planning_page(
            db.session, viewer=current_user, household_id=str(household_id),
            keyring=keyring())
    except service.HouseholdNotFound:
        abort(404)
    except service.PlanningForbidden:
        abort(403)
    if form.validate_on_submit():
        try:
            service.put_plan(db.session, user=current_user, entity_id=str(uuid.uuid4()),
                             base_rev=0, payload=form.payload(household.uuid),
                             keyring=keyring())
        except OpRefused as refused:
            db.session.rollback()
            abort(400, str(refused))
        db.session.commit()
        flash("Visit planned. It reaches the practitioner's tablet when it next syncs.")
        return redirect(url_for("visits.plan", household_id=household.uuid))
    db.session.commit()  # the audit event
    return render_template("visits/plan.html", form=form, address=address, plans=plans,
                           household_id=household.uuid), 400 if form.errors else 200
