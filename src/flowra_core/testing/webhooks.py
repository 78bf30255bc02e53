"""A webhook receiver in memory, for tests: the WebhookSender port answered by a script."""

from __future__ import annotations

from flowra_core.ports.webhooks import SendResult


class InMemoryWebhookReceiver:
    """A WebhookSender that receives in memory: it records every request and answers with the
    scripted status codes (then 200); `None` in the script answers nothing (a timeout)."""

    def __init__(self, *answers: int | None) -> None:
        self.requests: list[tuple[str, bytes, dict[str, str]]] = []
        self._answers = list(answers)
        self.refused_hosts: set[str] = set()

    def script(self, *answers: int | None) -> None:
        """Answer these next (then 200)."""
        self._answers = list(answers)

    async def send(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        self.requests.append((url, body, dict(headers)))
        status = self._answers.pop(0) if self._answers else 200
        if status is None:
            return SendResult(None, 5, "", error="timed out")
        return SendResult(status, 5, "ok" if status < 400 else "boom")

    async def check_target(self, url: str) -> str | None:
        host = url.split("/")[2] if "://" in url else url
        return "is an internal address" if host in self.refused_hosts else None
