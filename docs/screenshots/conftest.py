"""The suite's fixtures (database, demo team, live server, Debian Chromium) for shoot.py."""

from tests.browser.conftest import *  # noqa: F403
from tests.conftest import *  # noqa: F403
