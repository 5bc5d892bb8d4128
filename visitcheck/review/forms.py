"""The review queue's filters and the team lead's decision form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..form_limits import page_number, plausible_date
from .models import Decision
from .queue import SORTS, QueueChoices, QueueFilters
from .words import DECISION_WORDS, PROCEDURE_WORDS, SEVERITIES, SEVERITY_WORDS, STATUS_WORDS

SORT_WORDS = {
    "urgency": "Most urgent first",
    "oldest": "Longest waiting first",
    "newest": "Newest submission first",
    "visit": "Latest visit first",
}
DECISION_LABELS = {
    Decision.APPROVE.value: "Approve",
    Decision.RETURN.value: "Return to the practitioner with a comment",
    Decision.ESCALATE.value: "Escalate under a procedure",
}


class QueueFilterForm(FlaskForm):
    """A GET form: filters live in the URL (ids and codes only, never names)."""

    class Meta:
        csrf = False

    status = SelectField("Status", validators=[Optional()])
    flag = SelectField("Flag", validators=[Optional()])
    severity = SelectField("Severity", validators=[Optional()])
    practitioner = SelectField("Practitioner", validators=[Optional()])
    household = SelectField("Household", validators=[Optional()])
    date_from = DateField("Visit from", validators=[Optional(), plausible_date])
    date_to = DateField("Visit to", validators=[Optional(), plausible_date])
    sort = SelectField("Sort", choices={s: SORT_WORDS[s] for s in SORTS},
                       default="urgency", validators=[Optional()])
    page = IntegerField("Page", default=1, validators=[Optional(), page_number()])

    def set_choices(self, choices: QueueChoices) -> None:
        anything = {"": "Any"}
        self.status.choices = anything | {s: STATUS_WORDS[s] for s in
                                          ("submitted", "escalated", "returned", "approved")}
        self.flag.choices = anything | {c.value: c.label for c in choices.flags}
        self.severity.choices = anything | {s: SEVERITY_WORDS[s] for s in SEVERITIES}
        self.practitioner.choices = anything | {c.value: c.label for c in choices.practitioners}
        self.household.choices = anything | {c.value: c.label for c in choices.households}

    def filters(self) -> QueueFilters:
        return QueueFilters(
            status=self.status.data or "", flag=self.flag.data or "",
            severity=self.severity.data or "", practitioner=self.practitioner.data or "",
            household=self.household.data or "", date_from=self.date_from.data,
            date_to=self.date_to.data, sort=self.sort.data or "urgency",
            page=self.page.data or 1,
        )


class DecisionForm(FlaskForm):
    decision = RadioField("Decision", choices=dict(DECISION_LABELS),
                          validators=[InputRequired(message="Choose a decision.")])
    procedure = SelectField(
        "Procedure (when escalating)",
        choices={"": "Choose a procedure"} | PROCEDURE_WORDS,
        validators=[Optional()])
    comment = TextAreaField("Comment for the practitioner",
                            validators=[Optional(), Length(max=5000)])
    supervision_date = DateField("Supervision date (optional)", validators=[Optional()])
    rev = HiddenField(validators=[InputRequired()])

    def expected_rev(self) -> int | None:
        try:
            return int(self.rev.data)
        except (TypeError, ValueError):
            return None


__all__ = ["DECISION_WORDS", "DecisionForm", "QueueFilterForm"]
