"""Free-text answers for the demo: phrase templates whose emotional tone follows the latent.

Tone levels: 0 angry / ignored / taken for granted, 1 annoyed / disappointed, 2 neutral and
practical, 3 grateful / cared for, 4 delighted. A few comments carry fake personal data
(example.com addresses, UK drama phone numbers 020 7946 0xxx) so redaction has work to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

TONE_CUTS: Final = (42.0, 52.0, 64.0, 76.0)  # tone score thresholds between levels 0..4
PII_SHARE: Final = 0.05

_CUSTOMER_EN: Final[tuple[tuple[str, ...], ...]] = (
    (
        "Nobody at {store} even looked up when I came in. I felt ignored.",
        "Absolutely furious: I waited ages at {topic} and was treated like a nuisance.",
        "Staff were rude and dismissive. I'm angry and thinking of shopping elsewhere.",
        "You used to care. Now it feels like you assume I'll come back whatever you do.",
    ),
    (
        "A bit disappointed with {topic} this time.",
        "Annoying that {topic} still isn't sorted after I mentioned it last month.",
        "Disappointing visit, nothing special any more.",
        "Frustrating wait at {topic}; staff seemed too busy to notice me.",
        "It's fine but it feels like the same old routine, nobody makes an effort.",
    ),
    (
        "Please open more tills at weekends.",
        "Parking at {store} is difficult on Saturdays.",
        "Would be good to check stock online before visiting.",
        "{topic_cap} was okay. Prices are a bit high.",
        "The app could show my order status more clearly.",
    ),
    (
        "Thank you to {staff} who helped me find what I needed.",
        "Staff at {store} always take care of me, much appreciated.",
        "Grateful for the patience at {topic}, they really listened.",
        "I feel looked after here. Thanks for remembering my usual order.",
        "Friendly team, they genuinely care about their customers.",
    ),
    (
        "Absolutely delighted! {staff} went above and beyond.",
        "Wonderful surprise at {topic} today, made my week.",
        "Love shopping here, every visit feels special.",
        "Brilliant service, they made me feel like their only customer.",
        "Such a lovely experience, I keep telling my friends about you.",
    ),
)
# Long-standing customers at tone 0-1 half the time say it in these words.
_LOYAL_EN: Final[tuple[str, ...]] = (
    "I've been a customer for {years} years and I feel completely taken for granted.",
    "Loyal for {years} years and new customers get better treatment than me.",
    "After {years} years here nobody knows my name any more. Taken for granted.",
)
_EMPLOYEE_EN: Final[tuple[tuple[str, ...], ...]] = (
    (
        "Management takes us for granted; nobody ever says thank you.",
        "I feel ignored when I raise problems with {topic}.",
        "Angry about rota changes made without asking us.",
        "Nobody cares how we are doing, only the numbers.",
    ),
    (
        "Disappointed that training keeps getting cancelled.",
        "Frustrating that {topic} is still broken.",
        "Understaffed again this month, it wears you down.",
    ),
    (
        "The new rota works but needs tweaks.",
        "Could we get more notice of shift changes?",
        "More cover at lunchtime would help.",
    ),
    (
        "Thanks to my manager for supporting me this month.",
        "Grateful for a team that looks out for each other.",
        "I feel cared for here, the flexible shifts help a lot.",
    ),
    (
        "Loved the team day, I feel part of something special.",
        "Really excited about the new ideas we are trying with customers.",
        "Best month here in ages, I feel valued and challenged.",
    ),
)
_PROGRAMME_EN: Final[tuple[str, ...]] = (
    "The fresh-experience sessions are brilliant, I feel like I'm learning again.",
    "Since the fresh-experience programme started we actually try new things for customers.",
)
_CUSTOMER_ES: Final[tuple[tuple[str, ...], ...]] = (
    (
        "Me tratan como si dieran por hecho que volveré siempre. Me siento ignorado.",
        "Muy enfadado: nadie me atendió en {topic_es}.",
    ),
    ("Un poco decepcionado con {topic_es} esta vez.", "Es molesto esperar tanto en caja."),
    ("Deberían abrir más cajas los fines de semana.", "Los precios son algo altos."),
    ("Gracias al equipo de {store}, siempre me cuidan.", "Me siento bien atendido, gracias."),
    ("¡Encantado! {staff} fue más allá de lo esperado.", "Una experiencia maravillosa."),
)
_EMPLOYEE_ES: Final[tuple[tuple[str, ...], ...]] = (
    ("La dirección nos da por sentados; nadie nos da las gracias.", "Nadie me escucha."),
    ("Decepcionado porque siempre cancelan la formación.", "Faltan compañeros otra vez."),
    ("Necesitamos más aviso para los cambios de turno.", "Más personal a mediodía, por favor."),
    ("Gracias a mi responsable por su apoyo este mes.", "Me siento cuidado en este equipo."),
    ("Me encanta mi equipo, me siento valorado.", "Un mes estupendo, aprendo cada día."),
)
_REASONS_EN: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "customer": (
        ("I feel taken for granted.", "Nobody listens when I complain.", "I was ignored."),
        ("Service has slipped; it's not what it used to be.", "Queues at {topic} are too long."),
        ("Prices are higher than elsewhere.", "Opening hours don't suit me."),
    ),
    "employee": (
        ("Head office takes us for granted.", "Managers ignore what we tell them."),
        ("Pay doesn't reflect the workload.", "No career progression."),
        ("The commute is long.", "Shift patterns are hard with childcare."),
    ),
}
_REASONS_ES: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "customer": (("Me siento ignorado.",), ("El servicio ha empeorado.",), ("Precios altos.",)),
    "employee": (("Nos dan por sentados.",), ("El sueldo es bajo.",), ("Turnos difíciles.",)),
}
_TOPICS: Final[dict[str, tuple[str, ...]]] = {
    "customer": ("the checkout", "the returns desk", "click and collect", "home delivery"),
    "employee": ("the rota system", "the tills", "the stock system", "the scheduling app"),
}
_TOPICS_ES: Final = ("la caja", "devoluciones", "la entrega a domicilio")
_STAFF: Final = ("Sam", "Priya", "Tom", "Lucía", "Grace", "Ahmed", "Megan", "Diego")
_PII: Final[dict[str, tuple[str, ...]]] = {
    "en": (
        " You can reach me at {first}.{last}@example.com.",
        " Call me on +44 20 7946 0{digits}.",
        " My number is 020 7946 0{digits}, please ring me.",
    ),
    "es": (" Escríbame a {first}.{last}@example.com.", " Llámeme al +44 20 7946 0{digits}."),
}


@dataclass(frozen=True)
class TextContext:
    """What a comment may mention about the respondent and their unit."""

    audience: str  # "customer" | "employee"
    language: str  # "en" | "es"
    unit_name: str
    tenure_years: float
    in_programme: bool


def tone_level(score: float) -> int:
    """Tone level 0..4 for a tone score on the 0-100 scale.

    >>> tone_level(30.0), tone_level(60.0), tone_level(90.0)
    (0, 2, 4)
    """
    return sum(score >= cut for cut in TONE_CUTS)


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


def _fill(rng: np.random.Generator, template: str, ctx: TextContext) -> str:
    topic = _pick(rng, _TOPICS[ctx.audience])
    text = template.format(
        store=ctx.unit_name,
        topic=topic,
        topic_cap=topic[:1].upper() + topic[1:],
        topic_es=_pick(rng, _TOPICS_ES),
        staff=_pick(rng, _STAFF),
        years=max(2, round(ctx.tenure_years)),
    )
    if rng.random() < PII_SHARE:
        first = _pick(rng, ("sam", "priya", "tom", "grace", "ahmed", "megan"))
        last = _pick(rng, ("jones", "patel", "garcia", "smith"))
        digits = f"{int(rng.integers(1000)):03d}"
        text += _pick(rng, _PII[ctx.language]).format(first=first, last=last, digits=digits)
    return text


def comment(rng: np.random.Generator, tone_score: float, ctx: TextContext) -> str:
    """A comment for "What would make this relationship feel new again?" in the given tone."""
    level = tone_level(tone_score)
    spanish = ctx.language == "es"
    if ctx.audience == "customer":
        options = (_CUSTOMER_ES if spanish else _CUSTOMER_EN)[level]
        loyal = ctx.tenure_years >= 2.0 and level <= 1 and not spanish
        if loyal and rng.random() < 0.5:
            options = _LOYAL_EN
    else:
        options = (_EMPLOYEE_ES if spanish else _EMPLOYEE_EN)[level]
        if ctx.in_programme and level >= 2 and not spanish and rng.random() < 0.4:
            options = _PROGRAMME_EN
    return _fill(rng, _pick(rng, options), ctx)


def detractor_reason(rng: np.random.Generator, tone_score: float, ctx: TextContext) -> str:
    """Why a detractor (0-6) would not recommend; tone capped at neutral."""
    level = min(tone_level(tone_score), 2)
    table = _REASONS_ES if ctx.language == "es" else _REASONS_EN
    return _fill(rng, _pick(rng, table[ctx.audience][level]), ctx)
