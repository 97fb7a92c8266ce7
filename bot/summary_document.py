"""The doctor's summary as a printable page (HTML) and as a PDF, each with a chart of the diary (twitches
per day, coloured by where) and the pertinent positives and negatives in a table.

Both are written from the same DoctorSummary as the chat message and the Markdown file (bot/summary.py),
in the words of data/wording.yml: the file's headings without their Markdown marks, and a few of their own.
The PDF is made with fpdf2 and embeds the DejaVu font matplotlib ships, so any character of a diary note
prints; the page needs no script and prints on A4 or Letter.
"""

from __future__ import annotations

import functools
import html
import importlib.util
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from fpdf import FPDF

from bot.diary import entry_line, place, when
from bot.summary import DoctorSummary, _assessment_line, _diary_overview
from bot.wording import wording

# The chart shows at most this many days, ending on the day the summary is made.
CHART_DAYS = 28
# One colour per place, in the order places first appear; the rest share the last.
PLACE_COLOURS = ("#2f6db5", "#d9822b", "#3a9a5b", "#b8455b", "#7a5cb0", "#8a8a8a")


@dataclass(frozen=True)
class DiaryChart:
    days: tuple[date, ...]
    places: tuple[str, ...]  # in the order they first appear in the diary
    counts: tuple[tuple[int, ...], ...]  # per day, per place

    @property
    def most(self) -> int:
        return max((sum(day) for day in self.counts), default=0)


def diary_chart(summary: DoctorSummary) -> DiaryChart | None:
    """Twitches per day and where, over the diary's last CHART_DAYS days; None without a diary."""
    if not summary.diary:
        return None
    last = summary.made_at.date()
    first = max(min(entry.logged_at.date() for entry in summary.diary), last - timedelta(days=CHART_DAYS - 1))
    days = tuple(first + timedelta(days=n) for n in range((last - first).days + 1))
    places = tuple(dict.fromkeys(place(entry) for entry in summary.diary))
    per_day = Counter((entry.logged_at.date(), place(entry)) for entry in summary.diary)
    counts = tuple(tuple(per_day[(day, where)] for where in places) for day in days)
    return DiaryChart(days, places, counts)


def heading(name: str, **values: object) -> str:
    """A heading of the Markdown file, as plain words."""
    return wording(name, **values).lstrip("# ").strip()


def _sections(summary: DoctorSummary) -> list[tuple[str, list[str]]]:
    """The summary's sections after the table and the chart: a heading and its lines."""
    none = [wording("summary_none_recorded")]
    sections = [
        (heading("summary_file_twitching"), list(summary.twitching) or none),
        (heading("summary_file_habits"), list(summary.habits) or none),
        (
            heading("summary_file_diary"),
            [wording("summary_file_diary_overview", diary=_diary_overview(summary))]
            + [entry_line(entry) for entry in summary.diary],
        ),
    ]
    if summary.assessment:
        assessment = summary.assessment
        triggers = ", ".join(assessment.contributors) or wording("summary_file_no_triggers")
        lines = [
            _assessment_line(assessment),
            wording("summary_file_triggers", triggers=triggers),
            wording("summary_file_rules_version", version=assessment.rules_version),
        ]
    else:
        lines = [wording("summary_file_no_assessment")]
    sections.append((heading("summary_file_assessment"), lines))
    sections.append((heading("summary_file_sources"), list(summary.sources)))
    return sections


def _intro(summary: DoctorSummary) -> list[str]:
    findings_from = summary.findings_from or wording("summary_file_diary_only")
    return [
        wording("summary_file_made", when=when(summary.made_at)),
        wording("summary_file_findings_from", source=findings_from),
    ]


def _table_rows(summary: DoctorSummary) -> list[tuple[str, str]]:
    """Positives beside negatives, one of each per row."""
    none = wording("summary_none_recorded")
    positives, negatives = list(summary.positives) or [none], list(summary.negatives) or [none]
    rows = max(len(positives), len(negatives))
    positives += [""] * (rows - len(positives))
    negatives += [""] * (rows - len(negatives))
    return list(zip(positives, negatives, strict=True))


# --- The printable page ----------------------------------------------------------------------------------
PAGE_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; color: #1b1b1b; max-width: 46rem; margin: 2rem auto;
       padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.1rem; margin-top: 1.6rem; border-bottom: 1px solid #bbb; }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #999; padding: .35rem .5rem;
       text-align: left; vertical-align: top; }
th { background: #eee; } .actions a { margin-right: 1rem; } figure { margin: 0; }
figcaption { font-size: .85rem; color: #444; } .legend span { margin-right: 1rem; white-space: nowrap; }
.swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: middle; }
@media print { .actions { display: none; } body { margin: 0; max-width: none; } h2 { break-after: avoid; }
  table, figure { break-inside: avoid; } }
"""


def _svg_chart(chart: DiaryChart) -> str:
    width, height, left, bottom, top = 640, 220, 32, 36, 10
    plot_w, plot_h = width - left - 8, height - bottom - top
    step = plot_w / len(chart.days)
    most = max(chart.most, 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{html.escape(wording("summary_chart_title"))}">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" stroke="#555"/>',
        f'<text x="4" y="{top + 10}" font-size="11">{most}</text>',
        f'<text x="4" y="{top + plot_h}" font-size="11">0</text>',
    ]
    for n, (day, counts) in enumerate(zip(chart.days, chart.counts, strict=True)):
        x, y = left + n * step + step * 0.15, top + plot_h
        for where, count in enumerate(counts):
            if count:
                bar = plot_h * count / most
                y -= bar
                colour = PLACE_COLOURS[min(where, len(PLACE_COLOURS) - 1)]
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{bar:.1f}" '
                    f'fill="{colour}"/>'
                )
        if n % max(1, len(chart.days) // 7) == 0 or n == len(chart.days) - 1:
            parts.append(
                f'<text x="{left + n * step:.1f}" y="{height - 20}" font-size="11">{day.day} {day:%b}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def html_page(summary: DoctorSummary, pdf_link: str | None = None) -> str:
    """The summary as one self-contained page to read and print (no script, styles inline)."""
    e = html.escape
    title = heading("summary_file_title")
    out = [
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<style>{PAGE_STYLE}</style></head><body><main>",
        f"<h1>{e(title)}</h1>",
    ]
    if pdf_link:
        out.append(f'<p class="actions"><a href="{e(pdf_link)}">{e(wording("summary_page_pdf"))}</a></p>')
    out += [f"<p>{e(line)}</p>" for line in _intro(summary)]
    out.append(f'<table><thead><tr><th scope="col">{e(heading("summary_file_positives"))}</th>'
               f'<th scope="col">{e(heading("summary_file_negatives"))}</th></tr></thead><tbody>')
    out += [f"<tr><td>{e(yes)}</td><td>{e(no)}</td></tr>" for yes, no in _table_rows(summary)]
    out.append("</tbody></table>")
    chart = diary_chart(summary)
    out.append(f"<h2>{e(wording('summary_chart_title'))}</h2>")
    if chart is None:
        out.append(f"<p>{e(wording('summary_no_diary'))}</p>")
    else:
        legend = "".join(
            f'<span><i class="swatch" style="background:{PLACE_COLOURS[min(n, len(PLACE_COLOURS) - 1)]}">'
            f"</i>{e(where)}</span>"
            for n, where in enumerate(chart.places)
        )
        caption = wording("summary_chart_caption", count=len(chart.days))
        out.append(f'<figure>{_svg_chart(chart)}<figcaption><p class="legend">{legend}</p>'
                   f"{e(caption)}</figcaption></figure>")
    for name, lines in _sections(summary):
        out.append(f"<h2>{e(name)}</h2><ul>" + "".join(f"<li>{e(line)}</li>" for line in lines) + "</ul>")
    out.append(f"<p><em>{e(wording('summary_chat_not_a_diagnosis'))}</em></p></main></body></html>")
    return "\n".join(out)


# --- The PDF ---------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _font_folder() -> Path:
    """matplotlib's own copy of DejaVu (it is installed with Rasa), found without importing matplotlib."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib, whose DejaVu font the PDF embeds, is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "mpl-data" / "fonts" / "ttf"


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def pdf_document(summary: DoctorSummary) -> bytes:
    """The summary as an A4 PDF."""
    pdf = FPDF(format="A4")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_font("DejaVu", "", str(_font_folder() / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(_font_folder() / "DejaVuSans-Bold.ttf"))
    pdf.set_title(heading("summary_file_title"))
    pdf.add_page()

    def title(text: str, size: float) -> None:
        if pdf.will_page_break(size * 2):  # a heading is never the last line of a page
            pdf.add_page()
        pdf.set_font("DejaVu", "B", size)
        pdf.multi_cell(0, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)

    def para(text: str) -> None:
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    title(heading("summary_file_title"), 16)
    for line in _intro(summary):
        para(line)
    pdf.set_font("DejaVu", "", 10)
    with pdf.table(col_widths=(1, 1), line_height=5.5) as table:
        head = table.row()
        pdf.set_font("DejaVu", "B", 10)
        head.cell(heading("summary_file_positives"))
        head.cell(heading("summary_file_negatives"))
        pdf.set_font("DejaVu", "", 10)
        for yes, no in _table_rows(summary):
            row = table.row()
            row.cell(yes)
            row.cell(no)
    pdf.ln(3)
    title(wording("summary_chart_title"), 12)
    chart = diary_chart(summary)
    if chart is None:
        para(wording("summary_no_diary"))
    else:
        _draw_chart(pdf, chart)
    for name, lines in _sections(summary):
        title(name, 12)
        for line in lines:
            para(wording("bullet", item=line))
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(0, 5, wording("summary_chat_not_a_diagnosis"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _draw_chart(pdf: FPDF, chart: DiaryChart) -> None:
    if pdf.will_page_break(70):
        pdf.add_page()
    left, top = pdf.l_margin + 8, pdf.get_y() + 2
    width, height = pdf.epw - 8, 45
    step = width / len(chart.days)
    most = max(chart.most, 1)
    pdf.set_draw_color(90, 90, 90)
    pdf.line(left, top + height, left + width, top + height)
    pdf.set_font("DejaVu", "", 7)
    pdf.text(pdf.l_margin, top + 3, str(most))
    pdf.text(pdf.l_margin, top + height, "0")
    for n, (day, counts) in enumerate(zip(chart.days, chart.counts, strict=True)):
        x, y = left + n * step + step * 0.15, top + height
        for where, count in enumerate(counts):
            if count:
                bar = height * count / most
                y -= bar
                pdf.set_fill_color(*_rgb(PLACE_COLOURS[min(where, len(PLACE_COLOURS) - 1)]))
                pdf.rect(x, y, step * 0.7, bar, style="F")
        if n % max(1, len(chart.days) // 7) == 0 or n == len(chart.days) - 1:
            pdf.text(left + n * step, top + height + 4, f"{day.day} {day:%b}")
    legend_y = top + height + 9
    x = left
    for n, where in enumerate(chart.places):
        pdf.set_fill_color(*_rgb(PLACE_COLOURS[min(n, len(PLACE_COLOURS) - 1)]))
        pdf.rect(x, legend_y - 2.5, 3, 3, style="F")
        pdf.text(x + 4, legend_y, where)
        x += 6 + pdf.get_string_width(where)
    pdf.set_y(legend_y + 3)
    pdf.set_font("DejaVu", "", 8)
    caption = wording("summary_chart_caption", count=len(chart.days))
    pdf.multi_cell(0, 4, caption, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
