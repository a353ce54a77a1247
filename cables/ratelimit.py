"""How often one client may ask for an expensive response, counted in the cache.

With CACHE_URL pointing at Redis the count is shared by every web process and machine; with
the default local-memory cache it is per process. Clients are told by their address
(REMOTE_ADDR: a proxy in front must set it, e.g. gunicorn's --forwarded-allow-ips).
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache
from django.http import HttpRequest

clock = time.time  # the tests fix it, so that a window never turns mid-test


def retry_after(request: HttpRequest, scope: str, limit: int, window: int = 60) -> int | None:
    """Count this request; None while the client is within `limit` per `window` seconds, else
    the seconds until it may ask again."""
    now = clock()
    bucket = int(now // window)
    client = hashlib.sha256(request.META.get("REMOTE_ADDR", "").encode()).hexdigest()[:24]
    key = f"cablearchive:rate:{scope}:{client}:{bucket}"
    cache.add(key, 0, timeout=window * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between the two calls: this request opens the window again
        cache.set(key, 1, timeout=window * 2)
        count = 1
    if count <= limit:
        return None
    return max(1, int((bucket + 1) * window - now))
