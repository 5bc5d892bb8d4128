"""Who may do what, by role: one check that views and services both use, so a page
and the service behind it never disagree about who may see it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from .models import Role, User

F = TypeVar("F", bound=Callable[..., Any])


class RoleRequired(Exception):
    """The user's role may not do this."""


def require_role(user: User, *roles: Role, error: type[Exception] = RoleRequired) -> None:
    """Raise `error` (a service's own named error) unless the user has one of `roles`."""
    if user.role not in {role.value for role in roles}:
        raise error()


def role_required(*roles: Role) -> Callable[[F], F]:
    """A view for these roles only: anyone else is answered 403 (after sign-in)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            from flask import abort
            from flask_login import current_user

            try:
                require_role(current_user, *roles)
            except RoleRequired:
                abort(403)
            return view(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate


def admit_only(blueprint: Any, *roles: Role) -> None:
    """Every view of `blueprint` for these roles only: signed-out users go to sign in,
    anyone else is answered 403 — one guard for a whole area such as /admin."""
    from flask import abort
    from flask_login import current_user, login_required

    @login_required
    def guard() -> None:
        try:
            require_role(current_user, *roles)
        except RoleRequired:
            abort(403)

    blueprint.before_request(guard)
