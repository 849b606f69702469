"""Graph API access: the HTTP client, typed errors and usage-header parsing."""

from metasync.graph.client import (
    GraphClient,
    appsecret_proof,
    default_client,
    fetch_graph_edges,
    fetch_graph_node,
    iter_graph_edge_pages,
)
from metasync.graph.errors import GraphError

__all__ = [
    "GraphClient",
    "GraphError",
    "appsecret_proof",
    "default_client",
    "fetch_graph_edges",
    "fetch_graph_node",
    "iter_graph_edge_pages",
]
