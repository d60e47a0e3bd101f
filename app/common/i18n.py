"""Marks a message for translation where it is defined (``pybabel extract -k N_``);
it is translated with gettext where it is shown. Standard library only."""


def N_(message: str) -> str:
    return message
