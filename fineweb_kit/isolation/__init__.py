"""Per-item work that cannot stall or kill its caller: a killable child process (:mod:`.pool`)."""
