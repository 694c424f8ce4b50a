"""The ``kefu`` command: Django's management commands with Kefu's settings.

``kefu up`` (demo in one command), ``kefu serve``, ``kefu worker``, ``kefu demo``, ``kefu bench``,
and every Django command (``kefu migrate``, ``kefu createsuperuser``, ...).
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kefu", *sys.argv[1:]])


if __name__ == "__main__":
    main()
