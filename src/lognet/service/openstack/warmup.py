"""Compile the hot Neutron statements at start-up.

SQLAlchemy compiles a statement the first time it runs and caches it. The first list of a client would pay for
that (a 500-port list takes about twice as long cold as warm): running the lists once when the engine starts,
on whatever the database holds (usually little), moves that cost out of the first request.
"""

from __future__ import annotations

from lognet.service.app import Lognet
from lognet.service.openstack import networks, ports
from lognet.service.openstack.identity import ADMIN_PROJECT, Context, admin_project_id
from lognet.service.uow import SYSTEM


def warm_up(app: Lognet) -> None:
    """Run the network and port lists (all ports, and the ports of a network) once, as an admin sees them."""
    ctx = Context(SYSTEM, SYSTEM.username, admin_project_id(app), ADMIN_PROJECT, "", ("admin",))
    networks.listing(app, ctx)
    ports.listing(app, ctx, {})
    ports.listing(app, ctx, {"network_id": [""]})
