"""The Mubert simulator over HTTP: ``python -m mubert_async.sim --port 8080`` (``mubert sim``).

``create_app(fake)`` is an aiohttp application answering from a ``FakeMubert``, with
its faults applied on the wire; ``serve(fake)`` binds it on a loopback address and
points the fake's URLs there. ``add_fault_rates(fake, FaultRates(error=0.1))`` makes a
share of all requests fail, as the command line's ``--error-rate`` and friends do.
"""

from ._cli import main
from ._faults import FaultRates, add_fault_rates
from ._server import RequestLog, create_app, serve

__all__ = ["FaultRates", "RequestLog", "add_fault_rates", "create_app", "main", "serve"]
