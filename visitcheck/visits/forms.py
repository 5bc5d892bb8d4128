"""The lead's form to plan a visit (the tablet plans with `visit_plan.put`)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..form_limits import plausible_date
from .service import PURPOSE_LIMIT, TIME


class PlanVisitForm(FlaskForm):
    planned_for = DateField("Day of the visit", validators=[DataRequired(), plausible_date])
    time = StringField("Time (optional, HH:MM)",
                       validators=[Optional(), Regexp(TIME, message="Use HH:MM, e.g. 09:30")])
    purpose = TextAreaField("Purpose (optional)",
                            validators=[Optional(), Length(max=PURPOSE_LIMIT)])

    def payload(self, household_id: str) -> dict[str, object]:
        return {"household_id": household_id,
                "planned_for": self.planned_for.data.isoformat(),
                "time": self.time.data or "", "purpose": self.purpose.data or "",
                "cancelled": False}
