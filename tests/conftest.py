"""Fixtures shared by every test directory. Helper modules live in tests/integration/ and are loaded as plugins."""

pytest_plugins = ["integration.consul_agent"]
