"""Understanding chat: which earlier message each message replies to, and questions left open.

The reply linker (`reply_linker`) is live: it sees each message once, in order, with only
earlier messages visible. `unanswered` decides from its links, with a bounded look-ahead,
whether a question went unanswered. `evaluate` measures both against the human-annotated
irc-disentangle corpus (read by `disentangle_format`); `train_linker` rebuilds the learned
parameters shipped in ``models/reply_linker/``.
"""
