"""A local Meta Graph / Marketing API simulator (in the spirit of stripe-mock).

    from metasync.simulator import SimConfig, SimulatorServer
    with SimulatorServer(SimConfig(campaigns=3)) as sim:
        sim.base_url, sim.graph_url, sim.world

Command line: ``python -m metasync.simulator --port 8765 --campaigns 500 ...`` (see ``__main__``).
Pure stdlib + werkzeug. Facts it follows: /work/shared/META_API_FACTS.md.
"""

from .errors import SimulatedGraphError
from .server import Simulator, SimulatorServer, create_simulator_app, serve
from .world import SimConfig, World

__all__ = ["SimulatedGraphError", "SimConfig", "Simulator", "SimulatorServer", "World", "create_simulator_app", "serve",
           "main", "build_arg_parser", "config_from_args"]


def main(argv=None):  # noqa: D103 - thin re-export so `from metasync.simulator import main` works
    from .__main__ import main as _main
    return _main(argv)


def build_arg_parser():
    from .__main__ import build_arg_parser as _b
    return _b()


def config_from_args(args):
    from .__main__ import config_from_args as _c
    return _c(args)
