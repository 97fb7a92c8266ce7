"""What TwitchCheck remembers about a person, and only with their consent: a twitch diary, assessments and
reminders.

One module per job:

- `engine`: opening the database (DATABASE_URL, else the SQLite file twitchcheck.db), with the options
  SQLite and PostgreSQL each need.
- `models`: the assistant's tables.
- `repository`: `Store`, the records the actions read and write, and `connect()`.
- `reminders`: `Reminders`, the check-backs people asked for, claimed by one delivery worker at a time.
- `migrations`: creating and updating the tables with the Alembic migrations in bot/migrations.
- `cli`: the command line (migrate, downgrade, purge), run by `scripts/records.py`.

Nothing here knows the tables of the conversation tracker that shares the database: the caller names them
(`repository.LinkedTable`), and deleting a person or purging old rows clears them too.
"""
