"""The words of chat the understanding rules look for: fillers, generic words, openers, acts.

Kept apart from the components because these lists change for a different reason (a new
filler or greeting seen in the logs) than the logic that uses them.
"""

from __future__ import annotations

import re

__all__ = [
    "AFFIRMATIVE",
    "ASKING_PHRASES",
    "AUX",
    "FILLERS",
    "GENERIC_WORDS",
    "GREETING_FOLLOWERS",
    "GREETING_WORDS",
    "LAUGHTER",
    "NEGATION",
    "NEGATORS",
    "PRONOUNS",
    "RHETORICAL",
    "ROOM_WORDS",
    "SECOND_PERSON",
    "SINGULAR_S",
    "SOFT_OPENERS",
    "STRONG_AGREEMENT",
    "SUBJECT_PRONOUNS",
    "SUBJECT_WORDS",
    "WH",
    "act_patterns",
]


def _words(text: str) -> frozenset[str]:
    """A word list written as one string, so long lists stay readable."""
    return frozenset(text.split())


FILLERS = _words(
    "tbh fwiw lol lmao lmfao rofl imo imho afaik iirc btw ty thx pls plz idk ngl smh omg brb afk "
    "ftw tldr ikr fyi irl hmm hm hmmm uh um umm heh haha hahaha hehe xd meh ok okay yeah yep yup "
    "nope nah hi hey hello thanks thank welcome cheers oh ah wow ugh yay sorry please o/ \\o \\o/"
)
LAUGHTER = re.compile(
    r"^(?:l+o+l+[ol]*|(?:ha){2,}h?|(?:he){2,}h?|(?:hi){3,}|ke+k+|lu+lz|lmf?a+o+|rofl+|x+d+)$"
)
"""Laughter however it is stretched ("lolol", "lolll", "hahaha", "kek", "lmaoo"): a word
list cannot hold every spelling, and laughter names no subject."""
GENERIC_WORDS = _words(
    "thing things stuff anyone anybody someone somebody everyone everybody anything something "
    "everything nothing nobody people person guy guys folks way ways lot lots bit kind sort "
    "time times day today yesterday tomorrow point fact one ones question questions problem "
    "problems issue issues idea ideas help hand advice tip tips suggestion suggestions "
    "channel chat all here there yes no look detail details info information"
)
PRONOUNS = _words(
    "i me my mine myself you your yours yourself we us our ours they them their theirs he him his "
    "she her hers it its this that these those who whom whose what which"
)
WH = _words("how what why where when which who whom whose")
AUX = _words(
    "do does did is are was were am can could will would should shall may might has have had "
    "isn't aren't wasn't weren't doesn't don't didn't can't couldn't won't wouldn't shouldn't "
    "hasn't haven't"
)
NEGATION = frozenset({"n't", "not", "nt"})
SUBJECT_WORDS = PRONOUNS | _words(
    "there anyone anybody someone somebody everyone the a an any my your this that"
)
SUBJECT_PRONOUNS = _words("i you we they he she it i'm i've")
SOFT_OPENERS = _words("so and but also btw ok okay well oh hmm hey hi hello um anyway")
ROOM_WORDS = _words(
    "anyone anybody any1 anyon someone somebody everyone everybody guys y'all yall folks"
)
"""Words that put a question to the whole room rather than to one person."""
SECOND_PERSON = _words("you your yours yourself u ur you're youre you've youve")
RHETORICAL = _words("right you ya know y'know huh eh lol innit amirite rite srsly really")
ASKING_PHRASES = (
    ("anyone", "know"),
    ("anyone", "knows"),
    ("anybody", "know"),
    ("anybody", "knows"),
    ("anyone", "tried"),
    ("anyone", "using"),
    ("anyone", "seen"),
    ("anyone", "familiar"),
    ("anyone", "have"),
    ("anyone", "got"),
    ("any", "idea"),
    ("any", "ideas"),
    ("any", "way"),
    ("any", "tips"),
    ("any", "suggestions"),
    ("any", "recommendations"),
    ("wondering", "if"),
    ("wondering", "whether"),
    ("wondering", "how"),
    ("wondering", "why"),
    ("wonder", "if"),
    ("wonder", "whether"),
    ("is", "it", "possible"),
)


GREETING_WORDS = ["hi", "hello", "hey", "hiya", "heya", "howdy", "yo", "morning", "evening"]
GREETING_FOLLOWERS = _words(
    "all everyone everybody folks there guys people y'all yall team friends world"
)
STRONG_AGREEMENT = frozenset(
    [
        "+1",
        "++",
        "agreed",
        "seconded",
        "same here",
        "me too",
        "so true",
        "good point",
        "fair point",
        "great point",
        "valid point",
    ]
)
AFFIRMATIVE = frozenset({"yes", "yeah", "yep", "yup", "oh", "totally", "^", "^^", ",", "!"})
NEGATORS = frozenset({"not", "n't", "no", "never", "dis", "don't", "doesn't"})


# Singular names ending in "s" that the rule lemmatizer would otherwise cut ("postgres").
SINGULAR_S = _words(
    "postgres kubernetes redis aws jenkins nodejs js css sass less gnus emacs macos ios ipados "
    "watchos tvos dns https ssl tls sms gps cors saas paas iaas status analysis series chaos "
    "kudos news physics mathematics linux"
)


def act_patterns() -> dict[str, list[list[dict[str, object]]]]:
    """Matcher patterns per dialogue act; positions and context are checked by `Acts`."""
    lower = "LOWER"
    return {
        "greeting": [
            [{lower: {"IN": GREETING_WORDS}}],
            [{lower: "good"}, {lower: {"IN": ["morning", "afternoon", "evening", "day"]}}],
            [{"TEXT": {"IN": ["o/", "\\o", "\\o/"]}}],
        ],
        "thanks": [
            [{lower: {"IN": ["thanks", "thx", "ty", "tyvm", "tnx", "thanx", "thankyou", "danke"]}}],
            [{lower: "thank"}, {lower: {"IN": ["you", "u", "ya", "y'all", "everyone", "all"]}}],
            [{lower: "much"}, {lower: "appreciated"}],
            [{lower: "appreciate"}, {lower: {"IN": ["it", "that", "this", "the"]}}],
        ],
        "request_for_help": [
            [
                {lower: {"IN": ["can", "could", "would", "will"]}},
                {lower: {"IN": ["someone", "anyone", "somebody", "anybody", "you", "u"]}},
                {lower: {"IN": ["please", "pls", "plz"]}, "OP": "?"},
                {lower: "help"},
            ],
            [{lower: {"IN": ["help", "halp"]}}, {lower: "me"}],
            [{lower: "i"}, {lower: {"IN": ["need", "needs"]}}, {"OP": "?"}, {lower: "help"}],
            [{lower: "need"}, {lower: {"IN": ["some", "a", "urgent"]}, "OP": "?"}, {lower: "help"}],
            [{lower: "need"}, {lower: "a"}, {lower: "hand"}],
            [{lower: {"IN": ["please", "pls", "plz"]}}, {lower: "help"}],
            [{lower: "any"}, {lower: {"IN": ["help", "advice", "pointers", "suggestions"]}}],
            [{lower: {"IN": ["i'm", "im"]}}, {lower: "stuck"}],
            [{lower: "i"}, {lower: {"IN": ["am", "'m"]}}, {lower: "stuck"}],
            [
                {lower: {"IN": ["ca", "can", "cannot"]}},
                {lower: {"IN": ["n't", "not"]}, "OP": "?"},
                {lower: "figure"},
                {lower: "out"},
            ],
            [{lower: "how"}, {lower: "do"}, {lower: "i"}],
            [{lower: "is"}, {lower: "there"}, {lower: "a"}, {lower: "way"}, {lower: "to"}],
        ],
        "share_own_work": [
            [
                {lower: {"IN": ["i", "we", "i've", "we've"]}},
                {lower: {"IN": ["'ve", "have", "just", "finally"]}, "OP": "*"},
                {
                    lower: {
                        "IN": [
                            "wrote",
                            "written",
                            "published",
                            "released",
                            "made",
                            "built",
                            "created",
                            "launched",
                            "shipped",
                            "blogged",
                            "posted",
                        ]
                    }
                },
            ],
            [
                {lower: {"IN": ["i", "we"]}},
                {lower: {"IN": ["'ve", "have"]}},
                {lower: "been"},
                {lower: "working"},
                {lower: "on"},
            ],
            [{lower: {"IN": ["my", "our"]}}, {lower: "new"}],
            [{lower: "check"}, {lower: "out"}, {lower: {"IN": ["my", "our"]}}],
            [{lower: "just"}, {lower: {"IN": ["released", "published", "shipped", "launched"]}}],
            [{lower: "shameless"}, {lower: "plug"}],
        ],
        "gives_up": [
            [{lower: "not"}, {lower: "sure"}],
            [
                {lower: "no"},
                {"IS_ALPHA": True, "OP": "?"},
                {lower: {"IN": ["idea", "clue", "experience"]}},
            ],
            [
                {lower: "do"},
                {lower: {"IN": ["n't", "nt", "not"]}},
                {lower: "think"},
                {lower: "i"},
                {lower: {"IN": ["can", "could"]}},
                {lower: "help"},
            ],
            [
                {lower: {"IN": ["do", "did"]}},
                {lower: {"IN": ["n't", "nt", "not"]}},
                {lower: {"IN": ["know", "remember"]}},
            ],
            [{lower: {"IN": ["dunno", "idk"]}}],
            [
                {lower: {"IN": ["ca", "can"]}},
                {lower: {"IN": ["n't", "nt", "not"]}},
                {lower: "help"},
            ],
            [{lower: "never"}, {lower: "really", "OP": "?"}, {lower: {"IN": ["used", "tried"]}}],
            [{lower: "not"}, {lower: {"IN": ["familiar", "good"]}}, {lower: "with"}],
            [
                {lower: {"IN": ["someone", "somebody", "anyone", "anybody"]}},
                {lower: "else"},
                {lower: {"IN": ["might", "may", "can", "could", "will", "would"]}},
                {lower: {"IN": ["be", "able", "to"]}, "OP": "*"},
                {lower: {"IN": ["help", "know", "answer"]}},
            ],
            [
                {lower: {"IN": ["ask", "asking"]}},
                {lower: {"IN": ["the", "in"]}},
                {lower: {"IN": ["channel", "room", "forum"]}},
            ],
        ],
        "invites": [
            [
                {
                    lower: {
                        "IN": [
                            "pr",
                            "prs",
                            "requests",
                            "contributions",
                            "translations",
                            "patches",
                            "feedback",
                            "testers",
                            "volunteers",
                            "contributors",
                            "reviews",
                            "help",
                        ]
                    }
                },
                {"IS_ALPHA": True, "OP": "{0,4}"},  # "pull requests for the Spanish docs"
                {lower: {"IN": ["are", "is", "would", "will"]}},
                {lower: {"IN": ["be", "definitely", "very", "always", "most", "more"]}, "OP": "*"},
                {lower: "welcome"},
            ],
            [{lower: {"IN": ["bounty", "bounties"]}}],
            [
                {lower: {"IN": ["plz", "please", "pls"]}},
                {
                    lower: {
                        "IN": [
                            "update",
                            "fix",
                            "add",
                            "write",
                            "document",
                            "test",
                            "translate",
                            "review",
                            "correct",
                            "improve",
                        ]
                    }
                },
            ],
            [
                {lower: "we"},
                {lower: {"IN": ["can", "could", "should"]}},
                {lower: {"IN": ["make", "build", "write", "create", "add", "collect"]}},
            ],
            [
                {lower: {"IN": ["someone", "somebody", "anyone", "anybody"]}},
                {lower: {"IN": ["should", "could", "can", "wants", "want"]}},
                {lower: "to", "OP": "?"},
                {
                    lower: {
                        "IN": [
                            "make",
                            "build",
                            "write",
                            "create",
                            "fix",
                            "update",
                            "translate",
                            "test",
                            "review",
                            "document",
                            "port",
                            "implement",
                        ]
                    }
                },
            ],
            [
                {lower: "would"},
                {lower: "be"},
                {lower: {"IN": ["nice", "great", "good", "cool", "awesome", "helpful", "useful"]}},
                {lower: {"IN": ["if", "to"]}},
            ],
            [
                {lower: {"IN": ["looking", "need", "needs", "needed"]}},
                {lower: "for", "OP": "?"},
                {
                    lower: {
                        "IN": ["testers", "volunteers", "contributors", "translators", "reviewers"]
                    }
                },
            ],
            [{lower: "help"}, {lower: "wanted"}],
            [
                {lower: "feel"},
                {lower: "free"},
                {lower: "to"},
                {lower: {"IN": ["contribute", "submit", "send", "open", "help", "translate"]}},
            ],
        ],
        "work_news": [
            [
                {lower: {"IN": ["i", "we"]}},
                {lower: {"IN": ["'m", "am", "are", "'re", "have", "'ve", "m", "re"]}},
                {lower: "been", "OP": "?"},
                {lower: {"IN": ["working", "writing", "rewriting", "building", "preparing"]}},
                {lower: "on", "OP": "?"},
            ],
            [{lower: {"IN": ["im", "were"]}}, {lower: {"IN": ["working", "writing", "rewriting"]}}],
            [{lower: "check"}, {lower: "out"}],
            [{lower: "checkout"}],
        ],
        "agreement": [
            [{"TEXT": {"IN": ["+1", "++", "^", "^^", "^^^", "👍"]}}],
            [
                {
                    lower: {
                        "IN": [
                            "agreed",
                            "exactly",
                            "indeed",
                            "absolutely",
                            "definitely",
                            "seconded",
                            "this",
                            "same",
                            "true",
                            "precisely",
                            "yes",
                        ]
                    }
                }
            ],
            [{lower: "same"}, {lower: "here"}],
            [{lower: "me"}, {lower: "too"}],
            [{lower: "so"}, {lower: "true"}],
            [{lower: {"IN": ["good", "fair", "great", "valid"]}}, {lower: "point"}],
            [
                {lower: {"IN": ["i", "totally", "fully", "completely", "strongly"]}},
                {lower: {"IN": ["totally", "fully", "completely", "strongly"]}, "OP": "?"},
                {lower: "agree"},
            ],
        ],
    }
