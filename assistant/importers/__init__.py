"""Importing chat logs (irssi, WeeChat, ZNC, HexChat, MeetBot, #ubuntu, W3C, Discord exports).

Files are read and their format detected (:mod:`~assistant.importers.formats`), turned into
the project's events line by line, and recorded through the real recorder
(:mod:`~assistant.importers.importer`); ``presence import`` and ``presence eval attendance``
live in :mod:`~assistant.commandline.importing`.
"""
