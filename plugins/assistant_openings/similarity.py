"""Interest similarity from a spaCy pipeline's word vectors, for the engine's interest matching.

The small pipelines carry no vectors: matching then stays on words, which is logged once,
never an error.
"""

from __future__ import annotations

import functools
import logging

from assistant.openings import Similarity

__all__ = ["vector_similarity"]

log = logging.getLogger(__name__)

_DOCS = 4096  # texts whose vectors are kept for interest similarity


def vector_similarity(pipeline: str) -> Similarity | None:
    """A similarity function from a spaCy pipeline's word vectors, or None when it has none.

    Loads the pipeline (seconds; call it off the event loop). A pipeline that cannot load or
    has no vectors gives None and a log line: interest matching stays on words.
    """
    try:
        import spacy

        nlp = spacy.load(pipeline, exclude=["parser", "ner", "senter"])
    except (OSError, ImportError) as exc:
        log.warning(
            "openings: pipeline %r did not load (%s); matching on words only", pipeline, exc
        )
        return None
    if nlp.vocab.vectors.shape[0] == 0:
        log.info("openings: pipeline %r has no word vectors; matching on words only", pipeline)
        return None
    # Bounded: the owner's interests stay in it, the week's stream of topics passes through.
    doc = functools.lru_cache(maxsize=_DOCS)(nlp.make_doc)

    def similarity(a: str, b: str) -> float:
        first, second = doc(a), doc(b)
        if not (first.has_vector and second.has_vector):
            return 0.0
        return float(first.similarity(second))

    return similarity
