"""Search: the token index's projection and the search query."""
