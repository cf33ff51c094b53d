"""The class report: how the class did and which mistakes it made, from ``psyq grade --json`` files.

Statistics (classical test theory, as PrairieLearn's and most LMS item-analysis pages use):

* **score distribution** — each graded student's fraction of the points, in ten bins;
* **difficulty** of an item (or part) — the mean fraction of its points the class earned
  (the classical *p*-value: 1 = everyone right, 0 = nobody);
* **discrimination** — the corrected item–total correlation: Pearson's r between the item's score
  and the rest of the assignment's score (total minus the item), so an item does not correlate
  with itself.  Also the upper–lower index D = p(top 27 %) − p(bottom 27 %).  Below 0.2 an item
  hardly separates students who know the material from those who don't; negative is a red flag;
* **misconceptions** — counts of the ``MISC:<name>`` note tags per item (and ``SLIP:…`` tags,
  reported apart): the named wrong derivations students' answers matched;
* **gradebook** — CSV with the student id and points, laid out as Canvas's gradebook import
  expects (``Student, ID, SIS User ID, SIS Login ID, Section, <assignment>``); Moodle's CSV grade
  import maps the ``SIS Login ID`` column to the username (or ID number) and the last column to
  the grade item.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from psyq.errors import InputError, PsyqError

MAX_GRADES_BYTES = 200_000_000
# Below this many graded students, item statistics swing with one student's answers: a common rule
# of thumb in classical item analysis is to read difficulty and discrimination only from about 30.
SMALL_N = 30


@dataclass
class Grades:
    assignment: dict
    submissions: list[dict]  # graded and rejected, one per student (the last file wins)
    files: list[str]
    replaced: int = 0


class _Malformed(Exception):
    def __init__(self, where: str, what: str):
        super().__init__(f"{where} {what}")
        self.where, self.what = where, what


def _number(x, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or abs(x) > 1e12:
        raise _Malformed(where, "must be a finite number")
    return float(x)


def _text(x, where: str, *, optional: bool = False) -> str | None:
    if x is None and optional:
        return None
    if not isinstance(x, str) or len(x) > 10_000:
        raise _Malformed(where, "must be text")
    return x


def _obj(x, where: str) -> dict:
    if not isinstance(x, dict):
        raise _Malformed(where, "must be an object")
    return x


def _list(x, where: str, limit: int = 1_000_000) -> list:
    if not isinstance(x, list) or len(x) > limit:
        raise _Malformed(where, "must be a list")
    return x


def check_grades(data) -> None:
    """Everything the report reads, with the type it reads it as; the first problem is raised
    as :class:`_Malformed` naming its place (``submissions[3].parts[0].points``)."""
    data = _obj(data, "the file")
    a = _obj(data.get("assignment"), "assignment")
    _text(a.get("id"), "assignment.id")
    _text(a.get("title"), "assignment.title", optional=True)
    _number(a.get("max_points"), "assignment.max_points")
    for i, item in enumerate(_list(a.get("items"), "assignment.items", 1000)):
        w = f"assignment.items[{i}]"
        _obj(item, w)
        if isinstance(item.get("index"), bool) or not isinstance(item.get("index"), int):
            raise _Malformed(f"{w}.index", "must be a whole number")
        _text(item.get("template"), f"{w}.template")
        _text(item.get("title"), f"{w}.title", optional=True)
        _number(item.get("points"), f"{w}.points")
        for j, part in enumerate(_list(item.get("parts"), f"{w}.parts", 1000)):
            _text(_obj(part, f"{w}.parts[{j}]").get("id"), f"{w}.parts[{j}].id")
    for i, sub in enumerate(_list(data.get("submissions", []), "submissions")):
        w = f"submissions[{i}]"
        _obj(sub, w)
        status = _text(sub.get("status"), f"{w}.status")
        _text(sub.get("file"), f"{w}.file", optional=True)
        _text(sub.get("name"), f"{w}.name", optional=True)
        if status != "graded":
            _text(sub.get("student"), f"{w}.student", optional=True)
            if sub.get("error") is not None:
                _text(_obj(sub["error"], f"{w}.error").get("text"), f"{w}.error.text", optional=True)
            continue
        _text(sub.get("student"), f"{w}.student")
        _number(sub.get("points"), f"{w}.points")
        for j, part in enumerate(_list(sub.get("parts"), f"{w}.parts", 1000)):
            pw = f"{w}.parts[{j}]"
            _obj(part, pw)
            _text(part.get("id"), f"{pw}.id")
            _text(part.get("status"), f"{pw}.status")
            _number(part.get("points"), f"{pw}.points")
            _number(part.get("max_points"), f"{pw}.max_points")
            for k, note in enumerate(_list(part.get("notes", []), f"{pw}.notes", 1000)):
                _text(note, f"{pw}.notes[{k}]")


def _read_grades(path: Path):
    from psyq.fsio import FileError, read_regular

    try:
        raw = read_regular(path, MAX_GRADES_BYTES, what="grades file")
    except FileError as exc:
        raise PsyqError(exc.message, where=exc.file, hint=exc.hint) from None
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PsyqError(f"not UTF-8 text (byte {exc.start})", where=str(path),
                        hint="give the file written by psyq grade --json") from None
    except RecursionError:
        raise PsyqError("not a psyq grades file: nested too deeply", where=str(path)) from None
    except ValueError as exc:
        raise PsyqError(f"not JSON: {' '.join(str(exc).split())}", where=str(path),
                        hint="give the file written by psyq grade --json") from None


def load_grades(paths: Sequence[Path | str]) -> Grades:
    """Read grades files; a malformed one is a one-line error naming the file and the place.

    A student graded in two files: the later file wins (a re-run after a late submission) and the
    report says how many were replaced.  Rejected entries are kept per file, never replacing a grade.
    """
    assignment = None
    by_key: dict[str, dict] = {}
    replaced = 0
    for path in paths:
        path = Path(path)
        data = _read_grades(path)
        if not isinstance(data, dict) or data.get("format") != "psyq-grades":
            raise PsyqError("not a psyq grades file", where=str(path),
                            hint="give the file written by psyq grade --json")
        version = data.get("version", 0)
        if isinstance(version, bool) or not isinstance(version, (int, float)):
            raise PsyqError("malformed grades file: version must be a number", where=str(path))
        if version > 1:
            raise PsyqError(f"grades format version {version} is newer than this psyq",
                            where=str(path), hint="upgrade psyq")
        try:
            check_grades(data)
        except _Malformed as exc:
            raise PsyqError(f"malformed grades file: {exc.where} {exc.what}", where=str(path),
                            hint="give the file written by psyq grade --json, unedited") from None
        a = data["assignment"]
        if assignment is None:
            assignment = a
        elif a["id"] != assignment["id"]:
            raise PsyqError(f"grades for assignment '{a['id']}' mixed with '{assignment['id']}'",
                            where=str(path), hint="report on one assignment at a time")
        for i, s in enumerate(data.get("submissions", [])):
            graded = s.get("status") == "graded"
            key = s["student"] if graded else f"{path}#{i}"
            if key in by_key:
                replaced += 1
            by_key[key] = s
    if assignment is None:
        raise InputError("no grades files given")
    return Grades(assignment, list(by_key.values()), [str(p) for p in paths], replaced)


# ------------------------------------------------------------------------------------------------

@dataclass
class ItemStats:
    index: int
    template: str
    title: str
    points: float
    parts: list[str]
    difficulty: float | None
    discrimination: float | None
    upper_lower: float | None
    part_difficulty: dict[str, float | None]
    statuses: dict[str, dict[str, int]]
    misconceptions: list[tuple[str, str, int]]  # (part id, name, students)
    slips: list[tuple[str, str, int]]

    def to_json(self) -> dict:
        return {"index": self.index, "template": self.template, "title": self.title,
                "points": self.points, "parts": self.parts, "difficulty": _r(self.difficulty),
                "discrimination": _r(self.discrimination), "upper_lower": _r(self.upper_lower),
                "part_difficulty": {k: _r(v) for k, v in self.part_difficulty.items()},
                "statuses": self.statuses,
                "misconceptions": [{"part": p, "name": n, "count": c} for p, n, c in self.misconceptions],
                "slips": [{"part": p, "name": n, "count": c} for p, n, c in self.slips]}


@dataclass
class ClassStats:
    assignment: dict
    n_graded: int
    n_rejected: int
    scores: list[tuple[str, float, float]]  # (student, points, fraction), graded only
    names: dict[str, str]  # student id -> roster name, where psyq grade --roster gave one
    rejected: list[tuple[str, str]]  # (student or file, reason)
    histogram: list[int]  # ten bins: [0,10) … [90,100]
    mean: float | None
    median: float | None
    sd: float | None
    passed: int
    items: list[ItemStats] = field(default_factory=list)
    reteach: tuple[int, str, str, int] | None = None  # (item, part, misconception, count)
    replaced: int = 0

    @property
    def small_n(self) -> bool:
        return self.n_graded < SMALL_N

    def small_n_note(self) -> str:
        return (f"Only {self.n_graded} graded student{'s' if self.n_graded != 1 else ''}: difficulty and "
                f"discrimination are rough below about {SMALL_N} (one student moves them a lot); read them "
                "as hints, not measurements.") if self.small_n else ""

    def to_json(self) -> dict:
        return {
            "format": "psyq-class-report", "version": 1, "small_n": self.small_n,
            "note": self.small_n_note() or None,
            "assignment": {k: self.assignment.get(k) for k in ("id", "title", "due", "max_points")},
            "graded": self.n_graded, "rejected": self.n_rejected, "passed": self.passed,
            "score": {"mean": _r(self.mean), "median": _r(self.median), "sd": _r(self.sd),
                      "histogram": {"bins": [f"{10 * i}-{10 * i + 10}%" for i in range(10)],
                                    "counts": self.histogram}},
            "items": [it.to_json() for it in self.items],
            "reteach": None if self.reteach is None else dict(zip(("item", "part", "misconception", "count"),
                                                                  self.reteach)),
            "students": [{"student": s, "name": self.names.get(s), "points": _r(p), "score": _r(f)}
                         for s, p, f in self.scores],
            "rejected_submissions": [{"student": s, "reason": why} for s, why in self.rejected],
        }


def _r(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, 4)


def _pearson(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < 3:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-15 or syy <= 1e-15:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / math.sqrt(sxx * syy)


def class_stats(grades: Grades, *, top: int = 3) -> ClassStats:
    a = grades.assignment
    graded = [s for s in grades.submissions if s.get("status") == "graded"]
    rejected = [(s.get("student") or s.get("file") or "?", (s.get("error") or {}).get("text") or "rejected")
                for s in grades.submissions if s.get("status") != "graded"]
    max_points = float(a.get("max_points") or 0) or 1.0
    scores = sorted(((s["student"], float(s["points"]), float(s["points"]) / max_points) for s in graded),
                    key=lambda t: t[0])
    fracs = [f for _, _, f in scores]
    hist = [0] * 10
    for f in fracs:
        hist[min(9, max(0, math.floor(f * 10 + 1e-9)))] += 1
    mean = sum(fracs) / len(fracs) if fracs else None
    median = None
    if fracs:
        srt = sorted(fracs)
        mid = len(srt) // 2
        median = srt[mid] if len(srt) % 2 else (srt[mid - 1] + srt[mid]) / 2
    sd = math.sqrt(sum((f - mean) ** 2 for f in fracs) / (len(fracs) - 1)) if len(fracs) > 1 else None
    names = {s["student"]: s["name"] for s in graded if s.get("name")}
    stats = ClassStats(a, len(graded), len(rejected), scores, names, rejected, hist, mean, median, sd,
                       sum(bool(s.get("passed")) for s in graded), replaced=grades.replaced)

    totals = {s["student"]: float(s["points"]) for s in graded}
    ranked = sorted(graded, key=lambda s: float(s["points"]))
    k = max(1, round(0.27 * len(ranked))) if len(ranked) >= 4 else 0
    lower, upper = {s["student"] for s in ranked[:k]}, {s["student"] for s in ranked[-k:]} if k else set()
    best = None
    for item in a["items"]:
        pids = [p["id"] for p in item["parts"]]
        item_max = float(item["points"]) or 1.0
        item_scores: dict[str, float] = {}
        part_fracs: dict[str, list[float]] = {pid: [] for pid in pids}
        statuses: dict[str, Counter] = {pid: Counter() for pid in pids}
        misc: Counter = Counter()
        slips: Counter = Counter()
        for s in graded:
            got = 0.0
            for p in s["parts"]:
                if p["id"] not in part_fracs:
                    continue
                got += float(p["points"])
                mp = float(p["max_points"]) or 1.0
                part_fracs[p["id"]].append(float(p["points"]) / mp)
                statuses[p["id"]][p["status"]] += 1
                for note in p.get("notes", []):
                    if note.startswith("MISC:"):
                        misc[(p["id"], note[5:])] += 1
                    elif note.startswith("SLIP:"):
                        slips[(p["id"], note[5:])] += 1
            item_scores[s["student"]] = got
        students = list(item_scores)
        diff = (sum(item_scores.values()) / item_max / len(students)) if students else None
        disc = _pearson([item_scores[s] for s in students], [totals[s] - item_scores[s] for s in students])
        ul = None
        if k:
            pu = sum(item_scores[s] for s in upper) / item_max / k
            pl = sum(item_scores[s] for s in lower) / item_max / k
            ul = pu - pl
        top_misc = [(pid, name, c) for (pid, name), c in misc.most_common(top)]
        top_slips = [(pid, name, c) for (pid, name), c in slips.most_common(top)]
        if top_misc and (best is None or top_misc[0][2] > best[3]):
            best = (item["index"], top_misc[0][0], top_misc[0][1], top_misc[0][2])
        stats.items.append(ItemStats(
            item["index"], item["template"], item.get("title") or item["template"], float(item["points"]),
            pids, diff, disc, ul,
            {pid: (sum(v) / len(v) if v else None) for pid, v in part_fracs.items()},
            {pid: dict(c) for pid, c in statuses.items()}, top_misc, top_slips))
    stats.reteach = best
    return stats


# ------------------------------------------------------------------------------------------------
# Renderers

def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f} %"


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:+.2f}"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _reteach_sentence(st: ClassStats) -> str:
    if st.reteach is None:
        return "No answer matched a named misconception."
    item, part, name, count = st.reteach
    share = count / st.n_graded if st.n_graded else 0
    return (f"Re-teach **{name.replace('_', ' ')}** (item {item}, part {part}): {count} of "
            f"{st.n_graded} students ({100 * share:.0f} %) gave the answer that mistake produces.")


def to_markdown(st: ClassStats) -> str:
    a = st.assignment
    out = [f"# Class report: {_md(a.get('title', a['id']))}", "",
           (f"Assignment `{a['id']}` · {st.n_graded} graded · {st.n_rejected} rejected · "
           f"{st.passed} passed"), ""]
    if st.small_n:
        out += [f"> {st.small_n_note()}", ""]
    out += ["## Scores", "",
            f"Mean {_pct(st.mean)} · median {_pct(st.median)} · SD {_pct(st.sd)}", "",
            "| score | students |", "|---|---:|"]
    for i, c in enumerate(st.histogram):
        bar = "█" * c if c <= 40 else "█" * 40 + "…"
        out.append(f"| {10 * i}–{10 * i + 10} % | {c} {bar} |")
    out += ["", "## Items", "",
            ("Difficulty = mean share of the item's points earned; discrimination = corrected "
            "item–total correlation (r) and upper–lower index (D)."), "",
            "| item | template | points | difficulty | r | D | parts (share right) |",
            "|---:|---|---:|---:|---:|---:|---|"]
    for it in st.items:
        parts = ", ".join(f"{pid} {_pct(v)}" for pid, v in it.part_difficulty.items())
        out.append(f"| {it.index} | {_md(it.template)} | {it.points:g} | {_pct(it.difficulty)} | "
                   f"{_num(it.discrimination)} | {_num(it.upper_lower)} | {parts} |")
    out += ["", "## Misconceptions", "", _reteach_sentence(st), ""]
    for it in st.items:
        out.append(f"- **Item {it.index}** ({_md(it.title)}): "
                   + ("; ".join(f"`{n}` in {p}: {c}" for p, n, c in it.misconceptions) or "none matched")
                   + ("" if not it.slips else " · slips: " + "; ".join(f"`{n}` in {p}: {c}" for p, n, c in it.slips)))
    if st.rejected:
        out += ["", "## Rejected submissions", ""]
        out += [f"- {_md(s)}: {_md(why)}" for s, why in st.rejected]
    if st.replaced:
        out += ["", f"{st.replaced} earlier submission(s) replaced by a later one of the same student."]
    return "\n".join(out) + "\n"


def _csv_cell(text: str) -> str:
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_gradebook_csv(st: ClassStats) -> str:
    a = st.assignment
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                _csv_cell(f"{a.get('title', a['id'])} ({a['id']})")])
    for student, points, _ in st.scores:
        w.writerow([_csv_cell(st.names.get(student, student)), "", "", _csv_cell(student), "", f"{points:g}"])
    return buf.getvalue()


def to_json(st: ClassStats) -> str:
    return json.dumps(st.to_json(), ensure_ascii=False, indent=2) + "\n"


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    return text[text.index("<svg"):]


def plots(st: ClassStats) -> tuple[str, str]:
    """Two inline SVGs: the score distribution and per-item difficulty (with discrimination)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"svg.hashsalt": "psyq", "svg.fonttype": "none", "font.size": 9}):
        fig, ax = plt.subplots(figsize=(5.5, 2.6))
        ax.bar([10 * i + 5 for i in range(10)], st.histogram, width=9, color="#4c72b0")
        ax.set_xlim(0, 100)
        ax.set_xlabel("score (%)")
        ax.set_ylabel("students")
        ax.set_title("Score distribution")
        fig.tight_layout()
        hist_svg = _svg(fig)
        plt.close(fig)

        fig, ax = plt.subplots(figsize=(5.5, 2.6))
        labels = [str(it.index) for it in st.items]
        xs = range(len(st.items))
        ax.bar([x - 0.2 for x in xs], [it.difficulty or 0 for it in st.items], width=0.4,
               color="#55a868", label="difficulty (share right)")
        ax.bar([x + 0.2 for x in xs], [it.discrimination or 0 for it in st.items], width=0.4,
               color="#c44e52", label="discrimination (r)")
        ax.set_xticks(list(xs), labels)
        ax.set_xlabel("item")
        ax.set_ylim(min(0, *[it.discrimination or 0 for it in st.items]) - 0.05, 1.05)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.legend(loc="upper right", fontsize=7)
        ax.set_title("Per-item difficulty and discrimination")
        fig.tight_layout()
        item_svg = _svg(fig)
        plt.close(fig)
    return hist_svg, item_svg


def to_html(st: ClassStats) -> str:
    e = html.escape
    a = st.assignment
    hist_svg, item_svg = plots(st)
    rows = "\n".join(
        f"<tr><td>{it.index}</td><td>{e(it.template)}</td><td>{it.points:g}</td><td>{_pct(it.difficulty)}</td>"
        f"<td>{_num(it.discrimination)}</td><td>{_num(it.upper_lower)}</td>"
        f"<td>{e('; '.join(f'{n} ({p}): {c}' for p, n, c in it.misconceptions) or '—')}</td></tr>"
        for it in st.items)
    reteach = e(_reteach_sentence(st)).replace("**", "")
    rejected = "".join(f"<li>{e(s)}: {e(why)}</li>" for s, why in st.rejected)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Class report: {e(a.get('title', a['id']))}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}}
.lead{{font-size:1.1rem;background:#fff6d6;padding:.5rem 1rem}}</style></head>
<body>
<h1>Class report: {e(a.get('title', a['id']))}</h1>
<p>Assignment <code>{e(a['id'])}</code> · {st.n_graded} graded · {st.n_rejected} rejected · {st.passed} passed ·
mean {_pct(st.mean)} · median {_pct(st.median)} · SD {_pct(st.sd)}</p>
{f'<p class="note">{e(st.small_n_note())}</p>' if st.small_n else ""}
<p class="lead">{reteach}</p>
<h2>Score distribution</h2>
<figure>{hist_svg}</figure>
<h2>Items</h2>
<figure>{item_svg}</figure>
<table><thead><tr><th>item</th><th>template</th><th>points</th><th>difficulty</th><th>r</th><th>D</th>
<th>most frequent misconceptions (part): students</th></tr></thead>
<tbody>
{rows}
</tbody></table>
{"<h2>Rejected submissions</h2><ul>" + rejected + "</ul>" if rejected else ""}
</body></html>
"""
