"""/review: the team lead's queue and one checklist."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from ..extensions import db, keyring
from . import service

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.get("")
@login_required
def queue():
    try:
        rows = service.team_queue(db.session, lead=current_user, keyring=keyring())
    except service.ReviewForbidden:
        abort(403)
    db.session.commit()  # the audit event
    return render_template("review/queue.html", rows=rows)


@bp.get("/<uuid:checklist_id>")
@login_required
def checklist(checklist_id):
    try:
        detail = service.open_for_review(db.session, lead=current_user,
                                         public_id=str(checklist_id), keyring=keyring())
    except service.ReviewForbidden:
        abort(403)
    except service.ChecklistNotFound:
        abort(404)
    db.session.commit()  # the audit event
    return render_template("review/checklist.html", checklist=detail)
