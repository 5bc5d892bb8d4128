"""/chronology/<child>: one child's chronology, for the lead of the child's team and the
practitioners holding the child's household; printable in the multi-agency columns."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from ..extensions import db, keyring
from . import service
from .forms import ChronologyFilterForm

bp = Blueprint("chronology", __name__, url_prefix="/chronology")


@bp.get("/<uuid:child_id>")
@login_required
def child(child_id):
    form = ChronologyFilterForm(request.args)
    valid = form.validate()
    filters = form.filters() if valid else service.Filters()
    try:
        chronology = service.child_chronology(db.session, viewer=current_user,
                                              child_id=str(child_id), keyring=keyring(),
                                              filters=filters)
    except service.ChildNotFound:
        abort(404)
    except service.ChronologyForbidden:
        abort(403)
    db.session.commit()  # the audit event
    return render_template("chronology/child.html", chronology=chronology, form=form,
                           kinds=service.KINDS,
                           printing=request.args.get("print") == "1"), 200 if valid else 400
