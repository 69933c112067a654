"""Reading settings from the environment, strictly.

django-environ's ``Env.bool`` treats anything it does not recognise as False,
so a typo such as ``DEBUG=yes please`` would silently change behaviour. We
want a malformed value to stop the process with a message naming the
variable instead.
"""

import environ
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"true", "on", "yes", "y", "1"}
FALSE_WORDS = {"false", "off", "no", "n", "0"}


class StrictEnv(environ.FileAwareEnv):
    """``FileAwareEnv`` (``SECRET_KEY_FILE`` for Docker secrets) with strict parsing."""

    def bool(self, var, default=environ.Env.NOTSET):
        raw = self.get_value(var, cast=str, default=default)
        if isinstance(raw, bool):
            return raw
        word = raw.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ImproperlyConfigured(
            f"{var}={raw!r} is not a boolean; use one of: {', '.join(sorted(TRUE_WORDS | FALSE_WORDS))}"
        )

    def int(self, var, default=environ.Env.NOTSET):
        raw = self.get_value(var, cast=str, default=default)
        if isinstance(raw, int):
            return raw
        try:
            return int(raw.strip())
        except ValueError:
            raise ImproperlyConfigured(f"{var}={raw!r} is not a whole number") from None

    def require(self, var, reason):
        """Return a variable that must be set, or stop with a message naming it."""
        try:
            value = self.str(var)
        except ImproperlyConfigured:
            raise ImproperlyConfigured(f"{var} must be set {reason}.") from None
        if not value.strip():
            raise ImproperlyConfigured(f"{var} must be set {reason} (it is empty).")
        return value
