"""home-visit v1 rules: `let` bindings as ordered lists, bank holidays, unseen-adult

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 17:30:00

Stored template text used to be written with sorted keys, and `let` bound its
names from a JSON object in key order: `poc-contact` bound `member` before
`poc` (so a person of concern living in the household raised nothing) and
`no-access-repeat` bound `earlier` before `t` (so it never fired). Bindings are
now ordered lists (docs/rules.md) and templates are stored as loaded. This
rewrites a stored home-visit v1 to the form the built-in file has now:

- each `let` object becomes a list of [name, expression] pairs, in the order
  v1 was written (each binding after the names it reads);
- `working_days` gets the context's bank holidays as its third argument;
- `unseen-adult` counts an adult seen at an earlier visit (S2 of any visit in
  `history`) as seen.

Self-contained on purpose: a migration must not read code or files that may
change after it. tests/test_migrations.py checks that a database holding the
old sorted text ends up with the built-in file's definition.
"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

HOLIDAYS = {"var": "calendar.bank_holidays"}
SEEN_BEFORE = {"some": [{"var": "history"}, "h", {"==": [
    {"var": ["h", "answers", "household", "members", {"var": "p.id"}, "seen"]}, True]}]}
# The order home-visit v1 binds its names in; a name not listed keeps its place first.
V1_ORDER = ["links", "poc", "member", "answer", "regular", "seen", "refused", "minimises",
            "relies", "signs", "age", "t", "earlier"]

templates = sa.table("checklist_templates", sa.column("id", sa.Integer),
                     sa.column("template", sa.String), sa.column("version", sa.Integer),
                     sa.column("definition", sa.Text))


def _names_read(expression):
    """Every first path segment a `var` in the expression may read."""
    out = set()
    if isinstance(expression, list):
        for item in expression:
            out |= _names_read(item)
    elif isinstance(expression, dict):
        for key, args in expression.items():
            if key == "lit":
                continue
            if key == "var" and isinstance(args, str) and args:
                out.add(args.split(".")[0])
            elif key == "var" and isinstance(args, list) and args and isinstance(args[0], str):
                out.add(args[0])
            out |= _names_read(args)
    return out


def _pairs(bindings):
    pairs = sorted(bindings.items(),
                   key=lambda p: V1_ORDER.index(p[0]) if p[0] in V1_ORDER else -1)
    for index, (name, expression) in enumerate(pairs):
        later = {n for n, _ in pairs[index + 1:]}
        if _names_read(expression) & later:
            raise RuntimeError(f"let binding {name!r} reads a name bound after it: {later}")
    return [[name, expression] for name, expression in pairs]


def _upgraded(expression):
    if isinstance(expression, list):
        return [_upgraded(item) for item in expression]
    if not isinstance(expression, dict):
        return expression
    if len(expression) == 1:
        ((key, args),) = expression.items()
        if key == "lit":
            return expression
        if key == "let" and isinstance(args, list) and len(args) == 2 and isinstance(args[0],
                                                                                       dict):
            return {"let": [[[n, _upgraded(e)] for n, e in _pairs(args[0])],
                            _upgraded(args[1])]}
        if key == "working_days" and isinstance(args, list) and len(args) == 2:
            return {"working_days": [_upgraded(args[0]), _upgraded(args[1]), HOLIDAYS]}
    return {key: _upgraded(value) for key, value in expression.items()}


def _add_seen_before(expression):
    """In unseen-adult: the `seen` binding also looks at earlier visits."""
    if isinstance(expression, list):
        if (len(expression) == 2 and expression[0] == "seen" and isinstance(expression[1], dict)
                and isinstance(expression[1].get("or"), list)):
            if SEEN_BEFORE not in expression[1]["or"]:
                expression[1]["or"].append(SEEN_BEFORE)
            return
        for item in expression:
            _add_seen_before(item)
    elif isinstance(expression, dict):
        for value in expression.values():
            _add_seen_before(value)


def _downgraded(expression):
    if isinstance(expression, list):
        return [_downgraded(item) for item in expression]
    if not isinstance(expression, dict):
        return expression
    if len(expression) == 1:
        ((key, args),) = expression.items()
        if key == "lit":
            return expression
        if key == "let" and isinstance(args, list) and len(args) == 2 and isinstance(args[0],
                                                                                       list):
            return {"let": [{n: _downgraded(e) for n, e in args[0]}, _downgraded(args[1])]}
        if key == "working_days" and isinstance(args, list) and len(args) == 3:
            return {"working_days": [_downgraded(args[0]), _downgraded(args[1])]}
        if key == "or" and isinstance(args, list) and SEEN_BEFORE in args:
            return {"or": [_downgraded(a) for a in args if a != SEEN_BEFORE]}
    return {key: _downgraded(value) for key, value in expression.items()}


def _rewrite(change, *, sort_keys):
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(templates.c.id, templates.c.definition).where(
            templates.c.template == "home-visit", templates.c.version == 1)).all()
    for row_id, text in rows:
        definition = json.loads(text)
        new = change(definition)
        if new != definition:
            connection.execute(templates.update().where(templates.c.id == row_id)
                               .values(definition=json.dumps(new, sort_keys=sort_keys,
                                                             ensure_ascii=sort_keys)))


def _upgrade_definition(definition):
    rules = []
    for rule in definition.get("rules", []):
        rule = {key: (_upgraded(value) if key == "when" else value) for key, value in rule.items()}
        if rule.get("id") == "unseen-adult":
            _add_seen_before(rule.get("when"))
        rules.append(rule)
    return {**definition, "rules": rules}


def _downgrade_definition(definition):
    rules = [{key: (_downgraded(value) if key == "when" else value) for key, value in rule.items()}
             for rule in definition.get("rules", [])]
    return {**definition, "rules": rules}


def upgrade():
    # As load_template stores a template now: keys in the order given, text as is.
    _rewrite(_upgrade_definition, sort_keys=False)


def downgrade():
    # As the code before 0013 stored it: sorted keys, ASCII escapes.
    _rewrite(_downgrade_definition, sort_keys=True)
