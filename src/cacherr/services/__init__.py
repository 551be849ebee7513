"""Use cases the CLI, the web API and the scheduler call: the cache cycle, restores, queries."""
