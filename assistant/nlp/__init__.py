"""Understanding chat: what each message is about, and how messages hang together.

Per message, a spaCy pipeline (``pipeline``) with the project's own components
(``components``; every ``._`` extension in ``extensions``; chat tokenization in
``chat_tokens``, word lists in ``chat_words``) finds topics, questions, addressees, links
and dialogue acts; ``analysis`` turns a ``Doc`` into plain values.

Across messages, the reply linker (``reply_linker``, features in ``reply_features``) is live:
it sees each message once, in order, with only earlier messages visible. ``unanswered``
decides from its links, with a bounded look-ahead, whether a question went unanswered, and
``threads`` files each message under the conversation it belongs to. ``evaluate`` measures
the linker and the unanswered decision against the human-annotated irc-disentangle corpus
(read by ``disentangle_format``); ``train_linker`` rebuilds the learned parameters shipped
beside it as ``reply_linker.json`` (provenance in ``models/README.md``).

All of this runs off the event loop, in the analysis worker processes (``worker``, their
side in ``engine``), fed by the app's analyzer stage (``stage``), which keeps channel rosters
and system lines (``channel_rosters``) and stores the results (``analysis_store``).
"""
