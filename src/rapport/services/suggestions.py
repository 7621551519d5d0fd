"""What to try next for a unit's employees, by construct tag of its weakest employee items.

The texts are fresh-experience ideas for the employees of a unit (DESIGN.md: the cure the
business can act on is a new experience for the employees, so they can give one to their
customers). Each names the construct it answers; the unit page shows them beside the item's
score and interval (``docs/relationship-health.md``, "Suggestions"). A tag without its own
text falls back to its construct (``heart``, ``mind``, ``relationship``).
"""

from __future__ import annotations

SUGGESTIONS: dict[str, str] = {
    "heart.delight": (
        "Plan one unexpected good moment for the team this month (a visit, a thank-you from "
        "a customer read aloud, a new task someone asked for) and ask afterwards how it felt."
    ),
    "heart.special": (
        "Ask each person what they want to be known for and give them one piece of work "
        "that shows it; stop treating rota slots as interchangeable people."
    ),
    "heart.about_me": (
        "Hold short one-to-ones about the person's own needs (hours, growth, tools) before "
        "the unit's targets, and act on one request from each."
    ),
    "heart.expectations": (
        "Find the one promise made to the team that was not kept (training, equipment, "
        "hours) and keep it visibly."
    ),
    "heart.cared": (
        "Have the manager check in on people after hard shifts or difficult customers, "
        "and make it normal to ask for help."
    ),
    "heart.challenge": (
        "Give people a stretch: a project, a rotation to another unit or a skill to teach, "
        "chosen with them."
    ),
    "mind.needs": (
        "List what people lack to do the job well (stock, tools, information) and remove "
        "the top obstacle within a month; report back on it."
    ),
    "mind.ease": (
        "Walk through one everyday task with the team and cut a step, a form or an "
        "approval that adds nothing."
    ),
    "mind.fast": (
        "Set a response time for internal help requests (IT, HR, supplies) and show the "
        "team whether it is kept."
    ),
    "mind.convenient": (
        "Ask which tool or process wastes most time each week and fix or replace that one first."
    ),
    "mind.trackable": (
        "Give people a place to see where their requests stand, so they do not have to chase them."
    ),
    "mind.personalised": (
        "Let people shape how they work (shift patterns, task mix, workstation) where the "
        "customer does not lose from it."
    ),
    "mind.predictive": (
        "Brief the team before changes land (new products, peaks, rota changes) rather than after."
    ),
    "mind.effort": (
        "Ask people what makes getting their work done hard and remove one source of "
        "effort each month."
    ),
    "relationship.fresh": (
        "Surprise the team: something new in their working week that they did not ask "
        "for and did not expect, and mark it as done for them."
    ),
    "relationship.taken_for_granted": (
        "Recognise the work that is usually unseen, by name, and ask the team what they "
        "feel is assumed of them without thanks."
    ),
    "heart": "Create a new, personal experience for the team: an emotional item is lowest.",
    "mind": "Remove an everyday obstacle to the work: a practical item is lowest.",
    "relationship": "Renew the relationship with the team: show them they are not assumed.",
}

#: Only these constructs are read for suggestions (outcomes such as eNPS are not causes).
CONSTRUCTS = ("heart", "mind", "relationship")


def suggestion_for(tag: str) -> str | None:
    """The documented suggestion for a construct tag, or its construct's, or None.

    >>> suggestion_for("mind.ease").startswith("Walk through")
    True
    >>> suggestion_for("heart.unknown").startswith("Create a new")
    True
    >>> suggestion_for("loyalty.recommend_employer") is None
    True
    """
    construct = tag.split(".", 1)[0]
    if construct not in CONSTRUCTS:
        return None
    return SUGGESTIONS.get(tag) or SUGGESTIONS.get(construct)
