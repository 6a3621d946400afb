"""Errors a user can act on: the CLIs print them as one line instead of a traceback."""


class XnerError(Exception):
    """Base class for every error whose message is meant for the user."""


class DataError(XnerError):
    """Bad input data: the message names the file, line or sentence and what is wrong."""


class ConfigError(XnerError):
    """A configuration that cannot work, refused before any expensive work starts."""
