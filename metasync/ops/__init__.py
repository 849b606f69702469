"""Running metasync: beat fan-out, loop mode, status and the doctor."""
