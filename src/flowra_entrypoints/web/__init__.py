"""The web client: server-rendered pages and HTMX fragments over the same use cases as the
JSON API, mounted at `/` by flowra-api (web-client.md)."""
