"""Band Scheduling Admin: the web console, its settings, CLI and domain rules."""
