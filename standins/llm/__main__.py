"""``python -m standins.llm [--port 8766] [--brain module:function] [--api-key KEY]
[--model standin] [--chunk-delay 0.02]``."""

from __future__ import annotations

import argparse

from standins.llm.app import llm_app
from standins.llm.brains import brain_load, echo_brain
from standins.web.serve import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m standins.llm", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766, help="0 picks a free port (printed at start)")
    parser.add_argument("--brain", help="module:function that answers (default: echo the last user message)")
    parser.add_argument("--api-key", help="require this bearer token on /v1 (default: no auth)")
    parser.add_argument(
        "--model", action="append", dest="models", help="a model name it serves (repeatable; default standin)"
    )
    parser.add_argument(
        "--chunk-delay", type=float, default=0.02, help="seconds between streamed chunks, so streaming shows"
    )
    parser.add_argument("--quiet", action="store_true", help="no request log on stderr")
    args = parser.parse_args(argv)
    if args.chunk_delay < 0:
        parser.error("--chunk-delay must be 0 or more")
    try:
        brain = brain_load(args.brain) if args.brain else echo_brain
    except ValueError as exc:
        parser.error(str(exc))
    models = args.models or ["standin"]
    app = llm_app(brain, models=models, api_key=args.api_key, chunk_delay=args.chunk_delay)
    served = f"models: {', '.join(models)}; brain: {args.brain or 'echo'}"
    # The first line names the address: a parent that passed --port 0 reads the port from it.
    serve(
        app,
        host=args.host,
        port=args.port,
        quiet=args.quiet,
        banner=lambda base: f"LLM stand-in on {base}/v1 ({served})",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
