"""HTTP exchanges with Keycloak, with transport failures turned into ServiceUnavailable."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from flowra_core.domain.errors import ServiceUnavailable

DEPENDENCY = "keycloak"


def unavailable(reason: str) -> ServiceUnavailable:
    return ServiceUnavailable(DEPENDENCY, reason)


async def post_form(http: httpx.AsyncClient, url: str, form: Mapping[str, str]) -> httpx.Response:
    """The response to a form POST; ServiceUnavailable when there is none or it is a 5xx."""
    try:
        response = await http.post(url, data=dict(form))
    except httpx.HTTPError as error:
        raise unavailable(f"POST {url} failed: {error!r}") from error
    return _answered(response)


async def http_get(
    http: httpx.AsyncClient,
    url: str,
    *,
    bearer: str | None = None,
    params: Mapping[str, str | int] | None = None,
) -> httpx.Response:
    """The response to a GET; ServiceUnavailable when there is none or it is a 5xx."""
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else None
    try:
        response = await http.get(url, headers=headers, params=params)
    except httpx.HTTPError as error:
        raise unavailable(f"GET {url} failed: {error!r}") from error
    return _answered(response)


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The body as a JSON object; ServiceUnavailable when it is anything else."""
    body = _json(response)
    if not isinstance(body, dict):
        raise unavailable(f"{response.request.url} answered with a non-object JSON body")
    return body


def json_list(response: httpx.Response) -> list[Any]:
    """The body as a JSON array; ServiceUnavailable when it is anything else."""
    body = _json(response)
    if not isinstance(body, list):
        raise unavailable(f"{response.request.url} answered with a non-array JSON body")
    return body


def oauth_error(response: httpx.Response) -> str:
    """The OAuth `error` code of an error response, `""` when the body has none."""
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, str) else ""


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise unavailable(f"{response.request.url} answered with invalid JSON") from error


def _answered(response: httpx.Response) -> httpx.Response:
    if response.status_code >= httpx.codes.INTERNAL_SERVER_ERROR:
        raise unavailable(f"{response.request.url} answered {response.status_code}")
    return response
