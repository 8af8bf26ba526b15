"""Resource namespaces: the endpoints grouped as ``client.tracks``, ``service.customers``..."""

from .customers import Customers
from .library import Library
from .licenses import Licenses
from .playlists import Playlists
from .streaming import Streaming
from .tracks import Tracks

__all__ = ["Customers", "Library", "Licenses", "Playlists", "Streaming", "Tracks"]
