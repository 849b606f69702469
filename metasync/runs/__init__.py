"""Runs of a connection: the lifecycle every kind of run goes through, and the guard that runs it under its lock."""
