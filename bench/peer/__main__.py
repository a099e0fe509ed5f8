"""`python -m bench.peer`: serves the peer with uvicorn's defaults.

PEER_HOST (127.0.0.1), PEER_PORT (8090) and PEER_TRIM_URLS (comma-separated trim HTTP base URLs, e.g.
`http://127.0.0.1:8985,http://127.0.0.1:8986`) configure it.
"""

import os

import uvicorn

from bench.peer.app import make_app

urls = [url.strip() for url in os.environ.get("PEER_TRIM_URLS", "http://127.0.0.1:8985").split(",") if url.strip()]
uvicorn.run(
    make_app(urls), host=os.environ.get("PEER_HOST", "127.0.0.1"), port=int(os.environ.get("PEER_PORT", "8090"))
)
