"""What a reader sees of each answer (shown and right, shown and wrong, withheld) and how far its confidence holds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from index.answer import Answer, AnswerResult

BINS = 10
NO_KIND = "(no kind)"


@dataclass(frozen=True)
class Outcome:
    """One question's fate. `shown` is the service's own decision (an `answer` in /api/answer, not null); `right`
    is whether the top candidate (the shown sentence when shown) holds the answer, never for a question the corpus
    cannot answer; `confidence` is the top candidate's (None when no sentence came back)."""

    answerable: bool
    shown: bool
    right: bool
    confidence: float | None
    kind: str | None = None


def outcome_of(result: AnswerResult, answerable: bool, is_right: Callable[[Answer], bool], kind: str | None) -> Outcome:
    """The outcome of one answer_question result: shown exactly when the service would show an answer."""
    top = result.answer if result.answer is not None else (result.candidates[0] if result.candidates else None)
    right = answerable and top is not None and is_right(top)
    confidence = None if top is None else top.confidence
    return Outcome(answerable, result.answer is not None, right, confidence, kind)


def group(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Counts and shares (of the group's questions): shown and right, shown and wrong, withheld, and withheld though
    the top candidate was right (the answers a better decision would win)."""
    counts = {
        "questions": len(outcomes),
        "shown_right": sum(o.shown and o.right for o in outcomes),
        "shown_wrong": sum(o.shown and not o.right for o in outcomes),
        "withheld": sum(not o.shown for o in outcomes),
        "withheld_top_right": sum(not o.shown and o.right for o in outcomes),
    }
    shares = {f"{name}_share": _share(counts[name], len(outcomes)) for name in list(counts)[1:]}
    return {**counts, **shares}


def reliability(outcomes: Sequence[Outcome], bins: int = BINS) -> list[dict[str, Any]]:
    """The top candidates' confidence in equal bins over [0, 1]: for each bin, how many top candidates fell in it
    (answerable questions or not), how many of them were right, the share right, the mean confidence (the share
    a well-calibrated confidence would have) and how many were shown."""
    rows = []
    scored = [o for o in outcomes if o.confidence is not None]
    for number in range(bins):
        low, high = number / bins, (number + 1) / bins
        inside = [o for o in scored if _bin(o.confidence, bins) == number]
        confidences = [o.confidence for o in inside if o.confidence is not None]
        rows.append(
            {
                "bin": f"{low:.1f}-{high:.1f}",
                "questions": len(inside),
                "answerable": sum(o.answerable for o in inside),
                "right": sum(o.right for o in inside),
                "share_right": _share(sum(o.right for o in inside), len(inside)),
                "mean_confidence": round(sum(confidences) / len(confidences), 4) if confidences else None,
                "shown": sum(o.shown for o in inside),
            }
        )
    return rows


def outcome_report(outcomes: Sequence[Outcome], threshold: float) -> dict[str, Any]:
    """The tables of part one of the answer report: answerable and unanswerable questions, each kind, reliability."""
    kinds = sorted({o.kind or NO_KIND for o in outcomes})
    return {
        "threshold": threshold,
        "answerable": group([o for o in outcomes if o.answerable]),
        "unanswerable": group([o for o in outcomes if not o.answerable]),
        "kinds": {
            kind: {
                "answerable": all(o.answerable for o in outcomes if (o.kind or NO_KIND) == kind),
                **group([o for o in outcomes if (o.kind or NO_KIND) == kind]),
            }
            for kind in kinds
        },
        "no_candidate": sum(o.confidence is None for o in outcomes),
        "reliability": reliability(outcomes),
    }


def render(report: dict[str, Any]) -> str:
    """The report as two markdown tables: what readers see (answerable questions, then those the corpus cannot
    answer, each followed by its kinds), then the reliability bins."""
    lines = [
        f"What readers see (shown: confidence >= {report['threshold']}, as /api/answer decides):",
        "",
        "| questions | n | shown, right | shown, wrong | withheld | withheld, top candidate right |",
        "|---|---|---|---|---|---|",
    ]
    for name, answerable in (("answerable", True), ("cannot answer", False)):
        row = report["answerable" if answerable else "unanswerable"]
        if not row["questions"]:
            continue
        kinds = [(kind, r) for kind, r in report["kinds"].items() if r["answerable"] is answerable]
        if [kind for kind, _ in kinds] == [NO_KIND]:
            kinds = []
        for label, shown in [(name, row), *((f"{name}: {kind}", r) for kind, r in kinds)]:
            right = _cell(shown, "shown_right") if answerable else "-"
            top = _cell(shown, "withheld_top_right") if answerable else "-"
            cells = [label, str(shown["questions"]), right, _cell(shown, "shown_wrong"), _cell(shown, "withheld"), top]
            lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Reliability of the top candidate's confidence (every question; right: the top candidate holds the answer):",
        "",
        "| confidence | n | right | share right | mean confidence | shown |",
        "|---|---|---|---|---|---|",
    ]
    for row in report["reliability"]:
        share = "" if row["share_right"] is None else f"{row['share_right']:.3f}"
        mean = "" if row["mean_confidence"] is None else f"{row['mean_confidence']:.3f}"
        lines.append(f"| {row['bin']} | {row['questions']} | {row['right']} | {share} | {mean} | {row['shown']} |")
    if report["no_candidate"]:
        lines.append(f"\nNo candidate sentence at all: {report['no_candidate']}")
    return "\n".join(lines)


def _cell(row: dict[str, Any], name: str) -> str:
    share = row[f"{name}_share"]
    return f"{row[name]} ({share:.1%})" if share is not None else str(row[name])


def _bin(confidence: float | None, bins: int) -> int:
    return min(int((confidence or 0.0) * bins), bins - 1)


def _share(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None
