"""Administration forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
)

from ..auth.models import Role
from ..devices.service import RevokeMode
from ..form_limits import page_number, plausible_date

ROLE_WORDS = {
    Role.HEALTH_VISITOR.value: "Health visitor",
    Role.SCHOOL_NURSE.value: "School nurse",
    Role.TEAM_LEAD.value: "Team lead",
    Role.ADMIN.value: "Administrator",
}
ROLE_CHOICES = dict(ROLE_WORDS)


class CreateUserForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    name = StringField("Display name", validators=[DataRequired(), Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired()])
    team = SelectField("Team", validators=[InputRequired()])
    # Checked against breached and easily guessed passwords too (auth/passwords.py).
    password = PasswordField("First password (at least 12 characters, not a common one)",
                             validators=[DataRequired(), Length(min=12, max=1024)])


class UpdateUserForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES, validators=[InputRequired()])
    team = SelectField("Team", validators=[InputRequired()])
    active = BooleanField("Account active (untick to deactivate: their sessions end at once)")


class TeamForm(FlaskForm):
    name = StringField("Team name", validators=[DataRequired(), Length(max=200)])


class CaseloadForm(FlaskForm):
    user = SelectField("Practitioner", validators=[InputRequired()])
    household = SelectField("Household", validators=[InputRequired()])


class RevokeForm(FlaskForm):
    mode = RadioField("How", choices={
        RevokeMode.RETIRE.value: "Retire: it may send what it holds, then wipes",
        RevokeMode.LOST.value: "Lost or stolen: refused at once, wipes on contact, "
                               "the user's sessions end",
    }, default=RevokeMode.LOST.value, validators=[InputRequired()])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    who = StringField("Who (username)", validators=[Optional(), Length(max=80)])
    action = StringField("Action (or its start, e.g. review.)",
                         validators=[Optional(), Length(max=64)])
    object_type = SelectField("Object", choices={
        "": "Any", "checklist": "Checklist", "household": "Household", "concern": "Concern",
        "user": "User", "device": "Device", "team": "Team",
    }, validators=[Optional()])
    object_id = StringField("Object id", validators=[Optional(), Length(max=64)])
    date_from = DateField("From", validators=[Optional(), plausible_date])
    date_to = DateField("To", validators=[Optional(), plausible_date])
    page = IntegerField("Page", default=1, validators=[Optional(), page_number()])


class ImportExportForm(FlaskForm):
    username = StringField("Username of the practitioner whose device made the file",
                           validators=[DataRequired(), Length(max=80)])
    file = FileField("Export file (visitcheck-export-….json)",
                     validators=[FileRequired(), FileSize(max_size=5 * 1024 * 1024)])
