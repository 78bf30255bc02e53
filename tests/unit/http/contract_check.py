"""Every answer the black-box tests get is checked against the served OpenAPI document: its
status must be one the operation documents, and an error's `code` one the document lists for
that status (`x-error-codes`). The conftest wraps each test app's transport in
`DocumentCheckingTransport`; a test that got an undocumented answer fails at teardown."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from litestar import Litestar

from flowra_entrypoints.http.openapi import contract_document

_PARAMETER = re.compile(r"\\\{[^}]*\\\}")


@dataclass(frozen=True)
class _Operation:
    method: str
    path: str
    pattern: re.Pattern[str]
    responses: dict[str, Any]


def _operations(document: dict[str, Any]) -> list[_Operation]:
    found = []
    for path, item in document["paths"].items():
        pattern = re.compile("^" + _PARAMETER.sub("[^/]+", re.escape(path)) + "$")
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                found.append(_Operation(method.upper(), path, pattern, operation["responses"]))
    # Literal segments win over parameters (`/users/me` over `/users/{user_id}`).
    return sorted(found, key=lambda op: op.path.count("{"))


def _code_of(response: httpx.Response) -> str | None:
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return None
    body = response.json()
    return body.get("code") if isinstance(body, dict) else None


@dataclass
class DocumentCheckingTransport(httpx.AsyncBaseTransport):
    """Passes requests through; remembers every answer the document does not allow."""

    inner: httpx.AsyncBaseTransport
    app: Litestar
    violations: list[str] = field(default_factory=list)
    _operations: list[_Operation] | None = None

    def _operation(self, method: str, path: str) -> _Operation | None:
        if self._operations is None:
            self._operations = _operations(contract_document(self.app))
        return next(
            (op for op in self._operations if op.method == method and op.pattern.match(path)),
            None,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        operation = self._operation(request.method, request.url.path)
        if operation is None:  # unknown routes, the docs themselves
            return response
        await response.aread()
        status = str(response.status_code)
        where = f"{request.method} {operation.path}"
        documented = operation.responses.get(status)
        if documented is None:
            self.violations.append(f"{where} answered {status}, not documented")
        elif (code := _code_of(response)) is not None and code not in documented.get(
            "x-error-codes", []
        ):
            self.violations.append(f"{where} answered {status} {code}, not a documented code")
        return response
