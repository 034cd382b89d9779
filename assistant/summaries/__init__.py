"""What happened in a chat session, put together after it: meetings, attendance, minutes.

The names below are the surface the built-in ``summaries`` plugin (and any plugin adding
sections) uses; renderers and the MeetBot parser are reached through their modules.
"""

from assistant.summaries.brief import DueBrief, compose_brief, deliver_brief, upcoming_briefs
from assistant.summaries.catchup import CatchupError, compose_missed
from assistant.summaries.compose import SessionNotFound, compose_summary
from assistant.summaries.deliver import deliver_summary
from assistant.summaries.gaps import with_gaps
from assistant.summaries.model import Summary, SummarySection

__all__ = [
    "CatchupError",
    "DueBrief",
    "SessionNotFound",
    "Summary",
    "SummarySection",
    "compose_brief",
    "compose_missed",
    "compose_summary",
    "deliver_brief",
    "deliver_summary",
    "upcoming_briefs",
    "with_gaps",
]
