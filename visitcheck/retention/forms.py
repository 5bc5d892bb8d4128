"""The administrator's forms for legal holds and for "who has seen this child"."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import UUID, DataRequired, InputRequired, Length


class HoldForm(FlaskForm):
    subject_type = RadioField("What to hold", choices={
        "household": "A household, and everyone in it",
        "person": "One person",
    }, default="household", validators=[InputRequired()])
    subject_id = StringField("Its id", validators=[DataRequired(), UUID("an id (UUID)")])
    reason = TextAreaField("Reason (the order or inquiry; no names)",
                           validators=[DataRequired(), Length(max=2000)])


class ReleaseForm(FlaskForm):
    reason = TextAreaField("Why the hold ends", validators=[DataRequired(), Length(max=2000)])


class AccessForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search that changes nothing but the audit trail

    person = StringField("Person id", validators=[DataRequired(), UUID("an id (UUID)")])
