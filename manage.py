#!/usr/bin/env python
"""Django's command-line utility, with readable errors from the embedded servers."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "personalais.settings.dev")
    from django.core.management import execute_from_command_line

    from personalais.embedded import EmbeddedServiceError

    try:
        execute_from_command_line(sys.argv)
    except EmbeddedServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
