"""The chronology's filter: a GET form, so a filtered chronology is a link to share in
supervision (ids and codes only, never names, in the URL)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectMultipleField
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..form_limits import plausible_date
from .service import KINDS, Filters


class ChronologyFilterForm(FlaskForm):
    class Meta:
        csrf = False

    date_from = DateField("From", validators=[Optional(), plausible_date])
    date_to = DateField("To", validators=[Optional(), plausible_date])
    kind = SelectMultipleField("Kinds of entry", choices=dict(KINDS),
                               validators=[Optional()],
                               widget=ListWidget(prefix_label=False),
                               option_widget=CheckboxInput())

    def filters(self) -> Filters:
        return Filters(date_from=self.date_from.data, date_to=self.date_to.data,
                       kinds=frozenset(self.kind.data or ()))
