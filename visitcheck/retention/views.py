"""/admin/holds and /admin/access: legal holds, and who has seen a person's records.
For administrators only; thin: a form, one service call, a page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..audit import service as audit
from ..auth.models import Role
from ..auth.roles import admit_only
from ..extensions import db
from . import service
from .forms import AccessForm, HoldForm, ReleaseForm

bp = Blueprint("retention", __name__, url_prefix="/admin")

admit_only(bp, Role.ADMIN)


def _holds_page(form: HoldForm, status: int = 200):
    return render_template("admin/holds.html", form=form, release=ReleaseForm(formdata=None),
                           holds=service.all_holds(db.session),
                           reports=service.reports(db.session)[:10]), status


@bp.route("/holds", methods=["GET", "POST"])
def holds():
    form = HoldForm()
    if not form.validate_on_submit():
        return _holds_page(form, 400 if request.method == "POST" else 200)
    try:
        hold = service.place_hold(db.session, subject_type=form.subject_type.data,
                                  subject_id=form.subject_id.data.strip().lower(),
                                  reason=form.reason.data, placed_by=current_user.username,
                                  actor=current_user, team_id=current_user.team_id)
    except service.HoldError as error:
        db.session.rollback()
        form.subject_id.errors = [str(error)]
        return _holds_page(form, 400)
    db.session.commit()
    flash(f"Hold {hold.uuid} placed.")
    return redirect(url_for("retention.holds"))


@bp.post("/holds/<uuid:hold_id>/release")
def release(hold_id):
    form = ReleaseForm()
    if not form.validate_on_submit():
        flash("Give the reason for releasing the hold.")
        return _holds_page(HoldForm(formdata=None), 400)
    try:
        service.release_hold(db.session, hold_id=str(hold_id), reason=form.reason.data,
                             released_by=current_user.username, actor=current_user)
    except service.HoldError as error:
        db.session.rollback()
        flash(str(error))
        return _holds_page(HoldForm(formdata=None), 400)
    db.session.commit()
    flash(f"Hold {hold_id} released.")
    return redirect(url_for("retention.holds"))


@bp.get("/access")
def access():
    form = AccessForm(request.args)
    rows = None
    if request.args and form.validate():
        rows = audit.access_log(db.session, person_id=form.person.data.strip().lower(),
                                viewer=current_user)
        db.session.commit()  # the asking is itself audited
    return render_template("admin/access.html", form=form, rows=rows)
