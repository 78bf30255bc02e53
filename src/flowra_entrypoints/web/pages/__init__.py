"""Page and fragment handlers of the web client, one module per area."""
