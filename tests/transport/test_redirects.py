"""A redirect never carries a signed request anywhere: it raises, naming the status and where it pointed."""

from __future__ import annotations

import pytest
from transport_helpers import Call, RawServer, answer, canned, envelope

from multimarkets import RedirectError


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_origin_raises_and_nothing_reaches_it(serve, call: Call, status: int) -> None:
    elsewhere: RawServer = serve(canned(answer(200, envelope("foreign answer"))))
    api: RawServer = serve(canned(answer(status, headers={"Location": f"{elsewhere.url}/webhook/global/steal?x=1"})))

    with pytest.raises(RedirectError) as caught:
        call(api.base_url, {"password": "5f4dcc3b5aa765d61d8327deb882cf99"}, max_retries=2)

    assert elsewhere.requests == [], "the signed request must not reach the other origin"
    assert len(api.requests) == 1, "a redirect is final, not retried"
    error = caught.value
    assert (error.http_status, error.target_origin) == (status, elsewhere.url)
    assert str(status) in str(error) and elsewhere.url in str(error)
    assert "steal" not in str(error), "only the origin is named, not the path or query"


def test_a_redirect_without_location_still_raises(serve, call: Call) -> None:
    api: RawServer = serve(canned(answer(302)))
    with pytest.raises(RedirectError) as caught:
        call(api.base_url)
    assert caught.value.target_origin is None and "302" in str(caught.value)
