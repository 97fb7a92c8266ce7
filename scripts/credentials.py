"""Writes the credentials Rasa runs with: credentials.yml without the channels whose variables are unset.

credentials.yml names Slack's and Telegram's secrets as ${VARIABLES}; Rasa fills them in, and refuses to
start when one is unset. So a channel is switched on by setting its variables, and left out otherwise:

    python scripts/credentials.py OUT.yml    # prints which optional channels are on
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import yaml

CREDENTIALS = Path(__file__).resolve().parent.parent / "credentials.yml"
VARIABLE = re.compile(r"\$\{(\w+)\}")


def needed_variables(section: object) -> set[str]:
    return set(VARIABLE.findall(yaml.safe_dump(section)))


def enabled_credentials(environ: dict[str, str] | None = None) -> tuple[dict, list[str]]:
    """The channels to run (those whose variables are all set) and the names of those left out."""
    environ = dict(os.environ if environ is None else environ)
    channels = yaml.safe_load(CREDENTIALS.read_text(encoding="utf-8"))
    enabled, skipped = {}, []
    for name, section in channels.items():
        if all(environ.get(variable) for variable in needed_variables(section)):
            enabled[name] = section
        else:
            skipped.append(name)
    return enabled, skipped


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    enabled, skipped = enabled_credentials()
    Path(argv[0]).parent.mkdir(parents=True, exist_ok=True)
    Path(argv[0]).write_text(yaml.safe_dump(enabled, sort_keys=False), encoding="utf-8")
    for name in skipped:
        variables = ", ".join(sorted(needed_variables(yaml.safe_load(CREDENTIALS.read_text())[name])))
        print(f"  channel {name} is off (set {variables} to turn it on)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
