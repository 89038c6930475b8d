"""URL normalisation for URL dedup, and registered domains for per-domain rules.

Canonical form (w3lib's ``canonicalize_url`` for query order and percent-encoding): lower-case
scheme and host, no default port, no fragment, no tracking parameters, no trailing slash on a
non-root path, and http/https treated as one scheme (the same page served both ways).
"""
from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
from w3lib.url import canonicalize_url, url_query_cleaner

TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|yclid|_ga|_gl|igshid|ref_src|"
                      r"spm|scid|oly_anon_id|oly_enc_id|vero_id|wickedid|__s|_hsenc|_hsmi|mkt_tok)$", re.I)
DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_url(url: str) -> str | None:
    """The canonical form of ``url``; None when it is not an http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS or not parts.hostname:
            return None
        host = parts.hostname.lower().rstrip(".")
        port = parts.port
    except ValueError:
        return None
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    rebuilt = urlunsplit(("http", netloc, path, parts.query, ""))
    names = [p.split("=", 1)[0] for p in parts.query.split("&") if p]
    tracking = [n for n in names if TRACKING.match(n)]
    try:
        if tracking:
            rebuilt = url_query_cleaner(rebuilt, tracking, remove=True, keep_fragments=False)
        return canonicalize_url(rebuilt, keep_fragments=False)
    except ValueError:
        return None


def normalize_series(values: pd.Series) -> pd.Series:
    """``normalize_url`` over a column (a scalar pandas UDF)."""
    return values.map(lambda v: normalize_url(v) if v else None)


@lru_cache(maxsize=1)
def _suffixes():
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()  # the list ships with the package: no download


@lru_cache(maxsize=65536)
def registered_domain(host: str | None) -> str | None:
    """``news.bbc.co.uk`` → ``bbc.co.uk`` (Public Suffix List); the host itself when it has no suffix."""
    if not host:
        return None
    host = host.lower().rstrip(".")
    return _suffixes().privatesuffix(host) or host


def url_domain(url: str) -> str | None:
    try:
        return registered_domain(urlsplit(url).hostname)
    except ValueError:
        return None
