#!/usr/bin/env python
"""Django's command-line utility, with readable errors from the embedded servers."""

import os
import sys

# Commands that never talk to Redis (model training and evaluation, file builders, schema
# checks) do not start the embedded one: another checkout's server may hold its port.
REDIS_FREE_COMMANDS = {
    "train_emotion",
    "eval_emotion",
    "export_emotion_csv",
    "build_demo_catalog",
    "makemigrations",
    "check",
}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "personalais.settings.dev")
    if len(sys.argv) > 1 and sys.argv[1] in REDIS_FREE_COMMANDS:
        os.environ.setdefault("EMBEDDED_REDIS_START", "0")
    from django.core.management import execute_from_command_line

    from personalais.embedded import EmbeddedServiceError

    try:
        execute_from_command_line(sys.argv)
    except EmbeddedServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
