"""Messages: send with tags, edit, delete, react, read markers and files."""
