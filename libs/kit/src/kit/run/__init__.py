"""Running a service: a group of actors in the spirit of oklog/run (`Group`, `Actor`), and the actors every
service has: its stop signals, its serving flag, its Consul registration and its servers with their drain.

A service composes them in order, which is the order of its shutdown:

    signals = Signals()
    group = Group()
    group.add(signals.actor())              # returns on SIGTERM/SIGINT: starts the shutdown
    group.add(serving(flag))                # interrupt: health reports NOT_SERVING / 503
    group.add(registration(registrar))      # interrupt: leave Consul
    group.add(Servers(http, grpc_server, grace=..., drain_delay=..., hurry=signals.hurry).actor())
    with signals.installed():
        await group.run()
"""

from kit.run.actors import Registrar, background, registration, serving
from kit.run.group import Actor, Execute, Group, Interrupt
from kit.run.http import HttpServer, bind_socket, close_connections_while
from kit.run.servers import GrpcServer, Servers
from kit.run.serving import Serving
from kit.run.signals import Signals

__all__ = [
    "Actor",
    "Execute",
    "Group",
    "GrpcServer",
    "HttpServer",
    "Interrupt",
    "Registrar",
    "Servers",
    "Serving",
    "Signals",
    "background",
    "bind_socket",
    "close_connections_while",
    "registration",
    "serving",
]
