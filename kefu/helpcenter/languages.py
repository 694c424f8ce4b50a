"""Which languages the help center publishes in. Adding one is configuration
(``KEFU_HELP_LANGUAGES`` plus a translation catalogue), not code."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404


def help_languages() -> tuple[str, ...]:
    """The configured content languages, the default first (``en`` and ``zh-hans`` out of the
    box: the codes of ``LANGUAGES`` unless ``KEFU_HELP_LANGUAGES`` says otherwise)."""
    configured = getattr(settings, "KEFU_HELP_LANGUAGES", None)
    codes = configured or [code for code, _name in settings.LANGUAGES]
    return tuple(dict.fromkeys(code.lower() for code in codes))


def default_language() -> str:
    return help_languages()[0]


def require_language(code: str) -> str:
    """``code`` if the help center publishes in it, else 404 (a URL segment, so never 400)."""
    code = (code or "").lower()
    if code not in help_languages():
        raise Http404
    return code


def best_language(preferred: str | None) -> str:
    """The help-center language closest to ``preferred`` (``zh``, ``zh-CN`` → ``zh-hans``)."""
    wanted = (preferred or "").lower()
    languages = help_languages()
    if wanted in languages:
        return wanted
    base = wanted.split("-", 1)[0]
    for code in languages:
        if code.split("-", 1)[0] == base and base:
            return code
    return languages[0]


def other_languages(language: str) -> tuple[str, ...]:
    return tuple(code for code in help_languages() if code != language)


def pick(values: dict[str, str] | None, language: str) -> str:
    """The ``language`` entry of a per-language dict, else the default language's, else any."""
    values = values or {}
    if values.get(language):
        return values[language]
    fallback = values.get(default_language())
    if fallback:
        return fallback
    return next((v for v in values.values() if v), "")
