"""Chat sessions: when a chat happens, who attended it, and how that compares week to week.

- :mod:`~assistant.sessions.schedule`: weekly schedules in a time zone, correct across
  daylight-saving changes.
- :mod:`~assistant.sessions.detector`: ad-hoc sessions from bursts of activity.
- :mod:`~assistant.sessions.store`: sessions and their attendance in SQLite.
- :mod:`~assistant.sessions.tracker`: the running component that starts and ends sessions,
  joins and leaves channels on schedule, and publishes ``SessionStarted``/``SessionEnded``.
- :mod:`~assistant.sessions.queries`: the owner's questions (recent sessions, a person's record).
- ``presence sessions`` and ``presence attendance`` are in :mod:`~assistant.commandline.sessions`.
"""
