"""The records command line: migrate, downgrade or purge the database DATABASE_URL names (else
twitchcheck.db), Rasa's conversations purged along with the assistant's own tables.

    python -m scripts.records migrate                # create or update the tables
    python -m scripts.records purge --days 365       # forget what is older than the retention period

bot.storage knows only the assistant's own tables; this names Rasa's conversation table to it
(actions/records.py), as the action server does when a person asks to be forgotten.
"""

from __future__ import annotations

import sys

from actions.records import CONVERSATION_EVENTS
from bot.storage.cli import main

if __name__ == "__main__":
    sys.exit(main(linked_tables=[CONVERSATION_EVENTS], prog="python -m scripts.records"))
