"""The fixed text of the members' edition: how to read the pack, and a
glossary of the terms members meet in it. Plain English: it explains, in
the words the pack uses, what the statistics decide (see docs/statistics.md
for the rules themselves)."""

from __future__ import annotations

import html

__all__ = ["how_to_read_html", "glossary_html", "GLOSSARY"]

_e = html.escape

#: Colour, word and meaning: the same everywhere in a pack.
LEGEND = (
    ("better", "#1B7837", "Green", "better than similar councils by more than chance, or a target met"),
    ("similar", "#8C6D1F", "Amber", "in line with similar councils (any difference could be chance), or a "
                                    "little worse"),
    ("worse", "#B2182B", "Red", "worse than similar councils by more than chance, or a target clearly missed"),
    ("context", "#4D4D4D", "Grey", "a context measure (neither higher nor lower is better in itself), or a "
                                   "figure with too few children to compare; not rated"),
)

GLOSSARY = (
    ("Statistical neighbours", "The ten councils the Department for Education judges most like this one "
                               "(in population, deprivation and other factors). The fairest comparison."),
    ("Region", "The other councils of the same English region; London's boroughs count as one region."),
    ("Rate per 10,000 children", "How many children out of every 10,000 aged 0 to 17 living in the area, so "
                                 "councils of different sizes can be compared."),
    ("Children in need", "Children the council has assessed as needing its services to be safe or to develop "
                         "well, including those on a child protection plan and those looked after."),
    ("Child protection plan", "A plan for a child judged to be at risk of significant harm, agreed at a child "
                              "protection conference."),
    ("Children looked after", "Children in the council's care: in foster care, children's homes or other "
                              "placements, or at home under a care order."),
    ("Care leavers", "Young people aged 17 to 21 who were looked after and whom the council still supports."),
    ("Referral", "A request to children's social care for help or protection for a child."),
    ("Re-referral", "A referral within 12 months of a previous one for the same child."),
    ("Caseload", "The average number of cases each case-holding social worker carries."),
    ("Agency social worker", "A social worker supplied by an agency rather than employed by the council."),
    ("Vacancy rate", "Unfilled social worker posts as a share of all posts."),
    ("Turnover rate", "Permanent social workers who left in the year as a share of those in post."),
    ("The usual range for councils", "How far a council's figure can be from the figure for all councils "
                                     "before it is unusual, given its size and how much councils usually differ. "
                                     "Outside it, a figure is 'unusually high' or 'unusually low'."),
    ("Beyond chance", "A difference or change too large to be the ordinary ups and downs of small numbers."),
    ("Too few to compare", "A figure resting on so few children (or social workers) that one child moves it a "
                           "long way, or whose counts are not published: shown, but not ranked or rated."),
    ("Quarter of councils", "Where the council sits among all English councils: the best quarter, the "
                            "second-best, the second-worst or the worst quarter."),
    ("Joint", "Sharing a place with another council that has exactly the same figure."),
    ("Suppressed", "Withheld by the publisher to protect the privacy of a small number of children."),
)


def how_to_read_html(council: str, comparator_label: str) -> str:
    """How to read this pack: what each part says and what each colour means."""
    legend = "".join(
        f'<li><span class="swatch" style="background:{colour}" aria-hidden="true"></span>'
        f"<strong>{_e(word)}</strong>: {_e(meaning)}.</li>" for _, colour, word, meaning in LEGEND)
    return (
        '<section class="how-to-read"><h2 id="members-how-to-read">How to read this pack</h2>'
        f"<p>Each measure compares {_e(council)} with its {_e(comparator_label)}, its region and England. A "
        "figure is called higher, lower, better or worse only when the difference is too large to be chance; "
        "otherwise it is similar. A trend is named only when the figures moved that way by more than chance, and "
        "the words say whether it moved that way every year.</p>"
        "<p>Ranks count from the best: 1st of 11 among its neighbours is the best of the eleven. Where two "
        "councils have the same figure they share a place, shown as joint. Context measures, where neither "
        "higher nor lower is better in itself, are described but not ranked or rated.</p>"
        "<p>Colours always carry the same meaning, and the word is always written beside them:</p>"
        f'<ul class="legend">{legend}</ul>'
        "<p>This members' edition chooses what most needs attention. The full edition, published with it, has "
        "every measure with its charts, definition, sources and the figures behind each chart.</p></section>")


def glossary_html() -> str:
    """The glossary, as a definition list."""
    items = "".join(f"<dt>{_e(term)}</dt><dd>{_e(text)}</dd>" for term, text in GLOSSARY)
    return f'<section class="glossary"><h2 id="members-glossary">Glossary</h2><dl>{items}</dl></section>'
