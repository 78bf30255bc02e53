"""Who is connected to this instance: connections by user and by chat room."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from flowra_entrypoints.ws.connection import Connection, Subscription


class Hub:
    def __init__(self) -> None:
        self._by_user: dict[str, set[Connection]] = {}
        self._rooms: dict[str, set[Connection]] = {}
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def count_of(self, user_id: str) -> int:
        return len(self._by_user.get(user_id, ()))

    def add(self, connection: Connection) -> bool:
        """Register the connection; True when it is the user's first on this instance."""
        mine = self._by_user.setdefault(connection.user_id, set())
        mine.add(connection)
        self._size += 1
        return len(mine) == 1

    def remove(self, connection: Connection) -> bool:
        """Forget the connection and its rooms; True when it was the user's last on this
        instance (False also when it was not registered)."""
        mine = self._by_user.get(connection.user_id)
        if mine is None or connection not in mine:
            return False
        mine.remove(connection)
        self._size -= 1
        for chat_id in connection.subscriptions:
            self._leave_room(connection, chat_id)
        if mine:
            return False
        del self._by_user[connection.user_id]
        return True

    def join(self, connection: Connection, chat_id: str, workspace_id: str) -> Subscription:
        self._rooms.setdefault(chat_id, set()).add(connection)
        return connection.subscribe(chat_id, workspace_id)

    def leave(self, connection: Connection, chat_id: str) -> bool:
        """Leave the chat's room; True if the connection was in it."""
        self._leave_room(connection, chat_id)
        return connection.unsubscribe(chat_id)

    def _leave_room(self, connection: Connection, chat_id: str) -> None:
        room = self._rooms.get(chat_id)
        if room is None:
            return
        room.discard(connection)
        if not room:
            del self._rooms[chat_id]

    def room(self, chat_id: str) -> list[Connection]:
        return list(self._rooms.get(chat_id, ()))

    def of_user(self, user_id: str) -> list[Connection]:
        return list(self._by_user.get(user_id, ()))

    def of_users(self, user_ids: Iterable[str]) -> list[Connection]:
        found: list[Connection] = []
        for user_id in user_ids:
            found.extend(self._by_user.get(user_id, ()))
        return found

    def of_session(self, session_id: str) -> list[Connection]:
        """The connections opened with a ticket of this browser session (a rare lookup: logout)."""
        return [c for c in self.connections() if c.session_id == session_id]

    def users(self) -> Collection[str]:
        return self._by_user.keys()

    def connections(self) -> list[Connection]:
        return [connection for mine in self._by_user.values() for connection in mine]
