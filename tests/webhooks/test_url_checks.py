"""The URL check webhook URLs share with ``base_url``: line breaks and tabs are refused.

``urlsplit`` silently drops CR, LF and tab, so before the shared check a base URL such
as ``"https://host/api\\r\\n"`` passed and was kept as given.
"""

from __future__ import annotations

import pytest

from mubert_async import InvalidRequestError, MubertClient


@pytest.mark.parametrize(
    "base_url",
    [
        "https://music-api.mubert.com/api/v3\n",
        "https://music-api.mubert.com/api/v3\r\nX-Injected: 1",
        "https://music-api.mub\tert.com/api/v3",
        "https://music-api.mubert.com/api v3",
    ],
)
def test_a_base_url_with_whitespace_is_refused(base_url: str) -> None:
    with pytest.raises(InvalidRequestError, match="base_url"):
        MubertClient("customer", "token", base_url=base_url)


def test_the_accepted_base_urls_are_unchanged() -> None:
    client = MubertClient("customer", "token", base_url="http://127.0.0.1:8080/api/v3/")
    assert client.base_url == "http://127.0.0.1:8080/api/v3"
