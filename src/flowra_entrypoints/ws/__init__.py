"""The real-time gateway (`GET /api/v1/ws`, websocket.md): handshake, connections, the hub that
routes domain events and live pushes to them, presence and typing."""
