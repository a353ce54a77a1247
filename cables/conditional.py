"""Conditional GET for the public pages: an ETag that changes with the archive and the code.

A reader's browser, or a proxy in front of several web processes, asks again with If-None-Match
and gets a 304 instead of the page while nothing changed. The tag is the archive version (one
row, see models.ArchiveState) and a digest of the code and templates that render it
(cables.release), so the same on every process of a deployment and new after an upgrade.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.cache import patch_cache_control
from django.views.decorators.http import condition

from .facets import archive_version, known_version
from .release import release


def archive_etag(request: HttpRequest, *args: object, **kwargs: object) -> str:
    version = archive_version()
    known_version.set(version)  # the page's own summaries and caches reuse it
    return hashlib.sha1(repr((release(), version)).encode()).hexdigest()[:32]


def revalidated(view: Callable[..., Any]) -> Callable[..., Any]:
    """The view answers If-None-Match, and caches must ask again before reusing a response."""
    conditional = condition(etag_func=archive_etag)(view)

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        token = known_version.set(None)
        try:
            response = conditional(request, *args, **kwargs)
        finally:
            known_version.reset(token)
        if response.status_code in (200, 304):
            patch_cache_control(response, no_cache=True)
        return response

    wrapper.__name__, wrapper.__doc__ = view.__name__, view.__doc__
    return wrapper
