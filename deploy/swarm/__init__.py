"""Docker swarm mode run for real on this machine: three engines in three network namespaces, one swarm, a local
registry, the project's stack by `docker stack deploy`, a node drained under load (docs/multihost.md)."""
