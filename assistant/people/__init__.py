"""People: identities linked into persons, who matters in a room, and privacy.

``optouts`` (the list the recorder checks), ``merging`` and ``linking`` (identity → person),
``notability`` (who matters, and why), ``directory`` (finding and describing people),
``privacy`` (opt-out, opt-in, retention) and ``cli`` (the owner's ``presence people``,
``person``, ``seen`` and ``forget`` commands). Import the module you need; this package
imports nothing so that the recorder can use ``optouts`` cheaply.
"""
