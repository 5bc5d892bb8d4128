"""The family map's escalation offer (organised and complex abuse)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional


class ComplexAbuseEscalationForm(FlaskForm):
    checklist = SelectField("Record the escalation on the checklist",
                            validators=[InputRequired(message="Choose a checklist.")])
    comment = TextAreaField("Comment", validators=[Optional(), Length(max=5000)])
