"""The local dashboard: sessions and people in the browser, behind a token, on loopback.

:func:`~assistant.web.dashboard.start_dashboard` serves it for an open database; the
pages live in :mod:`~assistant.web.pages`, the login gate in :mod:`~assistant.web.app`.
"""
