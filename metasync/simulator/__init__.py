"""A local Meta Graph / Marketing API simulator (in the spirit of stripe-mock).

    from metasync.simulator import SimConfig, SimulatorServer
    with SimulatorServer(SimConfig(campaigns=3)) as sim:
        sim.base_url, sim.graph_url, sim.world

Command line: ``python -m metasync.simulator --port 8765 --campaigns 500 ...`` (see ``cli``).
Pure stdlib + werkzeug. Facts it follows: /work/shared/META_API_FACTS.md.
"""

from .app import Simulator, create_simulator_app
from .cli import build_arg_parser, config_from_args, main
from .config import SimConfig
from .errors import SimulatedGraphError
from .server import SimulatorServer, serve
from .world import World

__all__ = [
    "SimulatedGraphError",
    "SimConfig",
    "Simulator",
    "SimulatorServer",
    "World",
    "create_simulator_app",
    "serve",
    "main",
    "build_arg_parser",
    "config_from_args",
]
