"""What a script that may not run, or may not go on, raises."""


class SandboxViolation(Exception):
    """The script reaches for something outside the allow-list (at deploy or as it runs)."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message if line is None else f"{message} (line {line})")
        self.reason, self.line = message, line


class ScriptLimitExceeded(Exception):
    """A script went beyond a resource limit; the instance stops with this message."""


class ScriptStop(BaseException):
    """Raised inside a running script by a limit; beyond the reach of the script's own
    `except Exception`. The environment turns it into ScriptLimitExceeded."""


class ScriptDenied(ScriptStop):
    """Raised inside a running script by a guard; turned into SandboxViolation."""
