"""`python -m reel.testing.fakes KIND --port N [options]`: serve a fake until stopped.

The first stdout line is one JSON object with the URL and sign-in facts.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys

import uvicorn

from reel.testing.fakes import KINDS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m reel.testing.fakes")
    sub = parser.add_subparsers(dest="kind", required=True)
    modules = {}
    for kind in KINDS:
        try:
            module = importlib.import_module(f"reel.testing.fakes.{kind}")
        except ModuleNotFoundError as exc:
            if exc.name != f"reel.testing.fakes.{kind}":
                raise
            continue
        modules[kind] = module
        kind_parser = sub.add_parser(kind)
        kind_parser.add_argument("--port", type=int, default=0)
        kind_parser.add_argument("--host", default="127.0.0.1")
        module.add_arguments(kind_parser)
    args = parser.parse_args(argv)
    port = args.port
    if port == 0:
        from reel.testing.server import free_port

        port = free_port()
    url = f"http://{args.host}:{port}"
    fake = modules[args.kind].create(args, base_url=url)
    print(json.dumps({"url": url, **fake.credentials}), flush=True)
    uvicorn.run(fake.app, host=args.host, port=port, log_level="warning")


if __name__ == "__main__":
    main(sys.argv[1:])
