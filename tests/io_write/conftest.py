"""Fixtures of the writer's tests; the helpers themselves live in iowrite_helpers (a
module name of its own: several test folders have a conftest)."""
from iowrite_helpers import *  # noqa: F401,F403  (fixtures must be visible to pytest here)
