"""In-process event bus and the typed events that flow on it."""
