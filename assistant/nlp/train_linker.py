"""Rebuild ``assistant/nlp/reply_linker.json`` from the irc-disentangle training split.

    python -m assistant.nlp.train_linker --data ../shared/data/irc-disentangle/train

Every 10th file (in name order) is held out: it picks the training epoch, the second-link
threshold and the unanswered-question settings, so the dev split stays unseen. The scorer is
trained with numpy alone: a softmax over each message's candidates, maximising the probability
of its annotated antecedents, with Adam.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assistant.nlp.disentangle_format import FormatError, find_transcripts, read_transcript
from assistant.nlp.evaluate import (
    Counts,
    predict_replies,
    predict_unanswered,
    score_replies,
    score_unanswered,
)
from assistant.nlp.reply_features import FEATURES, ReplyContext
from assistant.nlp.reply_linker import DEFAULT_MODEL, LinkerModel, Reply, Scorer, decide
from assistant.nlp.unanswered import UnansweredDetector

Array = npt.NDArray[np.float32]
WINDOW = 100
HOLDOUT_EVERY = 10


@dataclass(slots=True)
class Examples:
    """Annotated messages as padded candidate rows: features, validity and gold masks."""

    x: Array
    valid: npt.NDArray[np.bool_]
    gold: npt.NDArray[np.bool_]
    gold_links: npt.NDArray[np.int64]
    """How many antecedents each message has in the annotation (reachable or not)."""


def extract(path: Path) -> Examples:
    """Stream one file through the live feature context; keep its annotated messages."""
    transcript = read_transcript(path)
    context = ReplyContext(window=WINDOW)
    size = WINDOW + 1
    xs, valids, golds, counts = [], [], [], []
    for index, utterance in enumerate(transcript.utterances):
        ids, rows = context.add(utterance)
        antecedents = transcript.links.get(index)
        if antecedents is None:
            continue
        x = np.zeros((size, len(FEATURES)), dtype=np.float32)
        x[: len(ids)] = rows
        valid = np.zeros(size, dtype=bool)
        valid[: len(ids)] = True
        gold = np.zeros(size, dtype=bool)
        for k, candidate in enumerate(ids):
            gold[k] = candidate in antecedents
        xs.append(x)
        valids.append(valid)
        golds.append(gold)
        counts.append(len(antecedents))
    return Examples(np.stack(xs), np.stack(valids), np.stack(golds), np.asarray(counts))


def extract_all(paths: list[Path], workers: int) -> Examples:
    """Extract several files in parallel processes and concatenate them."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(extract, paths, chunksize=4))
    return Examples(
        np.concatenate([p.x for p in parts]),
        np.concatenate([p.valid for p in parts]),
        np.concatenate([p.gold for p in parts]),
        np.concatenate([p.gold_links for p in parts]),
    )


def _forward(
    params: dict[str, Array], x: Array, valid: npt.NDArray[np.bool_]
) -> tuple[Array, Array]:
    pre = x @ params["w1"] + params["b1"]
    hidden = np.maximum(pre, 0.0)
    scores = hidden @ params["w2"] + x @ params["wl"]
    scores = np.where(valid, scores, -1e9).astype(np.float32)
    return pre, scores


def _softmax(scores: Array) -> Array:
    shifted = scores - scores.max(axis=1, keepdims=True)
    weights = np.exp(shifted)
    out: Array = weights / weights.sum(axis=1, keepdims=True)
    return out


def link_f1(params: dict[str, Array], data: Examples) -> float:
    """F1 of argmax links on held-out messages, counting unreachable gold links as missed."""
    matched = 0
    for start in range(0, len(data.x), 2048):
        part = slice(start, start + 2048)
        _, scores = _forward(params, data.x[part], data.valid[part])
        best = scores.argmax(axis=1)
        matched += int(data.gold[part][np.arange(len(best)), best].sum())
    return Counts(int(data.gold_links.sum()), len(data.x), matched).f1


def train(
    data: Examples, held: Examples, *, hidden: int, epochs: int, seed: int, l2: float
) -> tuple[dict[str, Array], int, float]:
    """Fit the scorer with Adam; return the parameters of the best held-out epoch."""
    rng = np.random.default_rng(seed)
    n_features = data.x.shape[2]
    params: dict[str, Array] = {
        "w1": (rng.standard_normal((n_features, hidden)) * np.sqrt(2.0 / n_features)).astype(
            np.float32
        ),
        "b1": np.zeros(hidden, dtype=np.float32),
        "w2": (rng.standard_normal(hidden) * np.sqrt(1.0 / hidden)).astype(np.float32),
        "wl": np.zeros(n_features, dtype=np.float32),
    }
    moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
    usable = np.flatnonzero((data.gold & data.valid).any(axis=1))
    best = (-1.0, 0, {k: v.copy() for k, v in params.items()})
    step, batch, rate = 0, 256, 2e-3
    for epoch in range(1, epochs + 1):
        rng.shuffle(usable)
        for start in range(0, len(usable), batch):
            rows = np.sort(usable[start : start + batch])
            x, valid, gold = data.x[rows], data.valid[rows], data.gold[rows]
            pre, scores = _forward(params, x, valid)
            p = _softmax(scores)
            q = _softmax(np.where(gold, scores, -1e9).astype(np.float32))
            ds = (p - q) / len(rows)
            hidden_out = np.maximum(pre, 0.0)
            grads = {
                "w2": np.einsum("bch,bc->h", hidden_out, ds),
                "wl": np.einsum("bcf,bc->f", x, ds),
            }
            dpre = (ds[:, :, None] * params["w2"]) * (pre > 0)
            grads["w1"] = np.einsum("bcf,bch->fh", x, dpre) + l2 * params["w1"]
            grads["b1"] = dpre.sum(axis=(0, 1))
            step += 1
            for key, grad in grads.items():
                m, v = moments[key]
                m *= 0.9
                m += 0.1 * grad
                v *= 0.999
                v += 0.001 * grad * grad
                m_hat = m / (1 - 0.9**step)
                v_hat = v / (1 - 0.999**step)
                params[key] -= (rate * m_hat / (np.sqrt(v_hat) + 1e-8)).astype(np.float32)
        rate *= 0.85
        f1 = link_f1(params, held)
        print(f"epoch {epoch}: held-out link F1 {f1:.1f}", flush=True)
        if f1 > best[0]:
            best = (f1, epoch, {k: v.copy() for k, v in params.items()})
    return best[2], best[1], best[0]


def tune(model: LinkerModel, held_paths: list[Path]) -> LinkerModel:
    """Pick the second-link threshold and unanswered settings on the held-out files."""
    transcripts = [read_transcript(path) for path in held_paths]
    replies = [predict_replies(t, model) for t in transcripts]
    best_t, best_f = 1.0, -1.0
    for threshold in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 1.0):
        trial = replace(model, second_link_threshold=threshold)
        total = Counts()
        for t, rs in zip(transcripts, replies, strict=True):
            again = [decide(trial, r.index, [c for c, _ in r.candidates], _probs(r)) for r in rs]
            total += score_replies(t.links, {r.index: r.antecedents for r in again})
        print(f"second link >= {threshold}: held-out F1 {total.f1:.2f}")
        if total.f1 > best_f:
            best_t, best_f = threshold, total.f1
    settings, best_u = {"lookahead": 40.0, "threshold": 0.5}, -1.0
    for lookahead in (10, 20, 30, 40, 60, 80):
        for threshold in np.arange(0.05, 1.0, 0.05):
            total = Counts()
            for t, rs in zip(transcripts, replies, strict=True):
                detector = UnansweredDetector(lookahead, float(threshold))
                total += score_unanswered(t, predict_unanswered(t, rs, detector))
            if total.f1 > best_u:
                best_u = total.f1
                settings = {"lookahead": float(lookahead), "threshold": round(float(threshold), 2)}
    print(f"unanswered {settings}: held-out F1 {best_u:.1f}")
    return replace(
        model,
        second_link_threshold=best_t,
        unanswered=settings,
        provenance={
            **model.provenance,
            "heldout_replies_f1": round(best_f, 1),
            "heldout_unanswered_f1": round(best_u, 1),
        },
    )


def _probs(reply: Reply) -> Array:
    return np.asarray([p for _, p in reply.candidates], dtype=np.float32)


def main(argv: Sequence[str] | None = None) -> int:
    """Train, select on held-out training files, tune, and write the parameters."""
    parser = argparse.ArgumentParser(prog="python -m assistant.nlp.train_linker")
    parser.add_argument("--data", type=Path, required=True, help="the train/ folder")
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_MODEL,
        help="the parameters file, or a folder for reply_linker.json (default: the packaged one)",
    )
    parser.add_argument("--hidden", type=int, default=64, help="hidden units")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--l2", type=float, default=1e-5)
    parser.add_argument("--seed", type=int, default=0, help="seed of the first scorer")
    parser.add_argument("--ensemble", type=int, default=1, help="scorers to train and average")
    parser.add_argument("--workers", type=int, default=2, help="feature extraction processes")
    args = parser.parse_args(argv)
    began = time.monotonic()
    try:
        paths = find_transcripts([args.data])
        for path in paths:
            read_transcript(path)
    except FormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    held_paths = paths[::HOLDOUT_EVERY]
    train_paths = [p for p in paths if p not in held_paths]
    data = extract_all(train_paths, args.workers)
    held = extract_all(held_paths, args.workers)
    print(
        f"{len(data.x)} training and {len(held.x)} held-out messages "
        f"({time.monotonic() - began:.0f}s)",
        flush=True,
    )
    scorers, epochs, scores = [], [], []
    for seed in range(args.seed, args.seed + args.ensemble):
        print(f"scorer {seed - args.seed + 1} of {args.ensemble} (seed {seed})", flush=True)
        params, epoch, f1 = train(
            data, held, hidden=args.hidden, epochs=args.epochs, seed=seed, l2=args.l2
        )
        scorers.append(Scorer(params["w1"], params["b1"], params["w2"], params["wl"]))
        epochs.append(epoch)
        scores.append(round(f1, 1))
    model = LinkerModel(
        scorers=tuple(scorers),
        window=WINDOW,
        provenance={
            "data": "irc-disentangle train split (Kummerfeld et al., ACL 2019), CC BY 4.0",
            "files": len(train_paths),
            "heldout_files": len(held_paths),
            "hidden": args.hidden,
            "epochs": epochs,
            "heldout_f1_each": scores,
            "seed": args.seed,
            "l2": args.l2,
            "built": date.today().isoformat(),
        },
    )
    model = tune(model, held_paths)
    out = args.out / DEFAULT_MODEL.name if args.out.is_dir() else args.out
    model.save(out)
    print(f"wrote {out} in {time.monotonic() - began:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
