"""/admin: accounts, teams, caseloads, devices, template versions, the audit trail."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.models import Role
from ..auth.roles import admit_only
from ..extensions import db, keyring
from ..sync import export as sync_export
from . import service
from .forms import (
    ROLE_WORDS,
    AuditFilterForm,
    CaseloadForm,
    CreateUserForm,
    ImportExportForm,
    RevokeForm,
    TeamForm,
    UpdateUserForm,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")

admit_only(bp, Role.ADMIN)


def _team_choices() -> dict[str, str]:
    return {t.uuid: t.name for t in service.teams(db.session, admin=current_user)}


@bp.get("")
def index():
    return render_template("admin/index.html",
                           overview=service.overview(db.session, admin=current_user))


def _users_page(create: CreateUserForm, team: TeamForm, status: int = 200):
    return render_template("admin/users.html", create=create, team_form=team,
                           users=service.users(db.session, admin=current_user),
                           teams={t.id: t.name for t in
                                  service.teams(db.session, admin=current_user)},
                           role_words=ROLE_WORDS), status


@bp.route("/users", methods=["GET", "POST"])
def users():
    create = CreateUserForm()
    create.team.choices = _team_choices()
    if request.method == "POST":
        if create.validate_on_submit():
            try:
                service.create_user(db.session, admin=current_user,
                                    username=create.username.data, name=create.name.data,
                                    role=create.role.data, team_id=create.team.data,
                                    password=create.password.data)
            except service.AdminError as error:
                db.session.rollback()
                field = (create.password if isinstance(error, service.PasswordRefused)
                         else create.username)
                field.errors = [str(error)]
                return _users_page(create, TeamForm(formdata=None), 400)
            db.session.commit()
            flash(f"Created {create.username.data}.")
            return redirect(url_for("admin.users"))
        return _users_page(create, TeamForm(formdata=None), 400)
    return _users_page(create, TeamForm(formdata=None))


@bp.post("/teams")
def teams():
    form = TeamForm()
    if form.validate_on_submit():
        try:
            service.create_team(db.session, admin=current_user, name=form.name.data)
        except service.AdminError as error:
            db.session.rollback()
            form.name.errors = [str(error)]
        else:
            db.session.commit()
            flash(f"Created team {form.name.data}.")
            return redirect(url_for("admin.users"))
    create = CreateUserForm(formdata=None)
    create.team.choices = _team_choices()
    return _users_page(create, form, 400)


@bp.route("/users/<uuid:user_id>", methods=["GET", "POST"])
def user(user_id):
    account = service.user_by_public_id(db.session, admin=current_user, public_id=str(user_id))
    if account is None:
        abort(404)
    teams = {t.id: t.uuid for t in service.teams(db.session, admin=current_user)}
    form = UpdateUserForm(data={"role": account.role, "team": teams.get(account.team_id),
                                "active": account.active})
    form.team.choices = _team_choices()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                service.update_user(db.session, admin=current_user, public_id=account.uuid,
                                    role=form.role.data, team_id=form.team.data,
                                    active=form.active.data)
            except service.AdminError as error:
                db.session.rollback()
                form.role.errors = [str(error)]
            else:
                db.session.commit()
                flash(f"Saved {account.username}.")
                return redirect(url_for("admin.users"))
        status = 400
    return render_template("admin/user.html", account=account, form=form), status


@bp.route("/caseloads", methods=["GET", "POST"])
def caseloads():
    households = service.households(db.session, admin=current_user)
    form = CaseloadForm()
    form.user.choices = {u.uuid: f"{u.username} ({ROLE_WORDS[u.role].lower()})"
                         for u in service.users(db.session, admin=current_user)
                         if Role(u.role).is_practitioner and u.active}
    form.household.choices = {h.id: f"{h.id} ({h.team}; {h.members} people, "
                                    f"{h.children} children)" for h in households}
    # Found by address or a person's name (audited), not by reading ids.
    query = (request.args.get("q") or "").strip()[:200]
    matches = service.search_households(db.session, admin=current_user, query=query,
                                        keyring=keyring()) if query else []
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                service.assign_caseload(db.session, admin=current_user,
                                        user_id=form.user.data,
                                        household_id=form.household.data)
            except service.AdminError as error:
                db.session.rollback()
                form.household.errors = [str(error)]
            else:
                db.session.commit()
                flash("Caseload assigned.")
                return redirect(url_for("admin.caseloads"))
        status = 400
    if query:
        db.session.commit()  # the search's audit entry
    return render_template("admin/caseloads.html", form=form, households=households,
                           query=query, matches=matches,
                           min_chars=service.SEARCH_MIN_CHARS), status


@bp.get("/devices")
def devices():
    return render_template("admin/devices.html",
                           devices=service.all_devices(db.session, admin=current_user))


@bp.route("/devices/<uuid:device_id>/revoke", methods=["GET", "POST"])
def revoke(device_id):
    form = RevokeForm()
    if not form.validate_on_submit():
        return render_template("admin/revoke.html", form=form, device_id=str(device_id)), (
            400 if request.method == "POST" else 200)
    try:
        service.revoke_device(db.session, admin=current_user, device_id=str(device_id),
                              mode=form.mode.data)
    except service.AdminError:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(f"Device {device_id} revoked ({form.mode.data}).")
    return redirect(url_for("admin.devices"))


@bp.get("/templates")
def templates():
    return render_template("admin/templates.html",
                           rows=service.template_versions(db.session, admin=current_user))


@bp.get("/audit")
def audit():
    form = AuditFilterForm(request.args)
    args = {k: v for k, v in request.args.items() if k != "page"}
    if not form.validate():
        # The filter as typed, its errors beside it, and nothing read.
        return render_template("admin/audit.html", form=form, args=args,
                               page=service.AuditPage(rows=[], page=1, more=False)), 400
    filters = service.AuditFilters(
        who=form.who.data or "", action=form.action.data or "",
        object_type=form.object_type.data or "", object_id=form.object_id.data or "",
        date_from=form.date_from.data, date_to=form.date_to.data,
        page=form.page.data or 1)
    page = service.audit_trail(db.session, admin=current_user, filters=filters)
    db.session.commit()  # reading the trail is itself audited
    return render_template("admin/audit.html", form=form, page=page, args=args)


@bp.route("/import", methods=["GET", "POST"])
def import_export():
    form = ImportExportForm()
    if not form.validate_on_submit():
        return render_template("admin/import.html", form=form, result=None), (
            400 if request.method == "POST" else 200)
    try:
        result = sync_export.import_export(
            db.session, data=form.file.data.read(), username=form.username.data,
            keyring=keyring(), actor=current_user)
    except (sync_export.UnknownUser, sync_export.ExportForAnotherUser) as error:
        db.session.rollback()
        form.username.errors = [str(error)]
        return render_template("admin/import.html", form=form, result=None), 400
    except sync_export.ExportInvalid as error:
        db.session.rollback()
        form.file.errors = [str(error)]
        return render_template("admin/import.html", form=form, result=None), 400
    db.session.commit()
    flash(f"Imported export {result.export_id}.")
    return render_template("admin/import.html", form=ImportExportForm(formdata=None),
                           result=result)
