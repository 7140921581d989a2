"""Entry points: CLI, HTTP API and web console. Thin: they call services via bootstrap."""
