"""What kind of value a question asks for, and whether a value of the evidence is of that kind.

- A **measure**: "how deep / tall / long / wide / far / heavy / old / hot / fast", "what area / volume",
  "how much water" ask for a value with a unit of that measure (length, area, volume, mass, temperature,
  time, speed). A number whose unit in the evidence is of another measure does not answer, however well its
  words fit: "How deep is the Gulf Stream?" is not answered by its flow, 30 million cubic meters a second.
  Units and questions are read in English, German, Spanish, French, Italian and Mandarin, so "neun Meter"
  and "九米" are lengths. A length of another dimension does not answer either: a depth is not answered by
  a clause that says "long" and never "deep" ("The Nile is ... kilometers long" for "how deep is the Nile?").
- "how many X" asks for a count: a number whose unit is a measure's ("100 kilometers") does not answer
  unless X is that unit ("how many kilometers"); "the population of X" asks for a count of people.
- "when", "in what year" ask for a date or a time: a number said with another measure's unit does not answer
  (a year said as one, "opened in 1937", is a date; a number with no unit is left to the other checks).
- **where** asks for a place: the answer must hold one (a capitalised name, or a place word after "in",
  "near", "on", "at", "off", "along"...) and sit in a clause of the sentence that speaks of the question most,
  not in the clause next to it ("Cold salty water sinks near Greenland | and flows south along the ocean
  floor": "near Greenland").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from videokb.agent.plan import NO_SPACES, STOPWORDS, fold, word_stem

# unit words (folded, accents removed) -> measure; multi-word units first ("cubic meters" is a volume).
# Italian "chili" (kilos) is left out: in English "12 chili plants" is a count, not 12 kilograms.
_UNITS: dict[str, tuple[str, ...]] = {
    "area": ("square", "sq", "km2", "m2", "km²", "m²", "hectares", "hectare", "acres", "acre", "hektar",
             "quadratkilometer", "quadratmeter", "cuadrados", "cuadrado", "carres", "carre", "quadrati",
             "quadrato", "平方", "公顷"),
    "volume": ("cubic", "m3", "m³", "liters", "liter", "litres", "litre", "gallons", "gallon", "kubikmeter",
               "litros", "litro", "cubicos", "cubes", "cube", "litri", "cubi", "立方", "升"),
    "length": ("meters", "meter", "metres", "metre", "m", "km", "kilometers", "kilometer", "kilometres",
               "kilometre", "cm", "centimeters", "centimeter", "mm", "millimeters", "miles", "mile", "feet",
               "foot", "ft", "yards", "yard", "inches", "inch", "metern", "kilometern", "zentimeter",
               "metros", "metro", "kilometros", "kilometro", "centimetros", "metres", "kilometres",
               "centimetres", "metri", "chilometri", "chilometro", "centimetri", "米", "公里", "千米", "厘米"),
    "mass": ("kg", "kilograms", "kilogram", "kilos", "grams", "gram", "g", "tonnes", "tonne", "tons", "ton",
             "lbs", "lb", "kilogramm", "gramm", "tonnen", "kilogramos", "gramos", "toneladas", "kilogrammes",
             "grammes", "chilogrammi", "grammi", "tonnellate", "公斤", "千克", "吨", "克"),
    "temperature": ("degrees", "degree", "°c", "°f", "°", "celsius", "fahrenheit", "kelvin", "grad",
                    "grados", "degres", "gradi", "度"),
    "speed": ("mph", "km/h", "kph", "knots"),
    "time": ("seconds", "second", "minutes", "minute", "hours", "hour", "days", "day", "weeks", "week",
             "months", "month", "years", "year", "centuries", "century", "sekunden", "minuten", "stunden",
             "tage", "tagen", "wochen", "monate", "jahre", "jahren", "segundos", "minutos", "horas", "dias",
             "semanas", "meses", "anos", "heures", "jours", "semaines", "mois", "ans", "annees", "secondi",
             "minuti", "ore", "giorni", "settimane", "mesi", "anni", "秒", "分钟", "小时", "天", "周", "月", "年"),
    "price": ("$", "€", "£", "¥", "dollars", "dollar", "cents", "cent", "euros", "euro", "pounds", "yuan", "元",
              "块"),
}
_UNIT_OF = {u: kind for kind, units in _UNITS.items() for u in units}
_PER = re.compile(r"^(per|a|an|each|every|pro|por|par|al|ogni|每)$")  # "cubic meters per second": still a volume
# Dimensions of a length, by the words a clause says them with.
_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "depth": ("deep", "depth", "deeper", "deepest", "tief", "tiefe", "profundo", "profunda", "profundidad",
              "profond", "profonde", "profondeur", "profondo", "profondita", "深"),
    # a fall or a rise is a vertical extent: "the falls drop about 980 meters", "rises about 5,890 meters"
    "height": ("tall", "high", "height", "taller", "tallest", "higher", "highest", "altitude", "elevation",
               "drops", "drop", "rises", "rise",
               "hoch", "hohe", "höhe", "alto", "alta", "altura", "haut", "haute", "hauteur", "altezza", "高"),
    "length": ("long", "length", "longer", "longest", "lang", "lange", "länge", "largo", "larga", "longitud",
               "longue", "longueur", "lungo", "lunga", "lunghezza", "长"),
    "width": ("wide", "width", "wider", "widest", "across", "broad", "breit", "breite", "ancho", "anchura",
              "large", "largeur", "larghezza", "宽"),
    "distance": ("far", "away", "distance", "weit", "entfernt", "lejos", "distancia", "loin", "lontano", "远"),
}
_DIMENSION_OF = {fold(w): d for d, words in _DIMENSIONS.items() for w in words}


def dimension_word(word: str) -> str | None:
    """The dimension a word names ("deep", "depth", "tief": "depth"), for matching a question's "depth" with
    a clause's "deep"; None for any other word."""
    return _DIMENSION_OF.get(fold(word))


@dataclass(frozen=True)
class Asked:
    """The kinds of unit a value must have (``measures``); the dimension of a length it asks for, if any;
    for "how many X", the counted noun."""

    measures: frozenset[str]
    dimension: str | None = None
    counted: str | None = None
    number: bool = True  # the answer must hold a number ("when" may be answered "at dawn")


# question patterns -> (measures, dimension); the first that matches decides. English, German, Spanish,
# French, Italian, Mandarin.
_ASKED: list[tuple[re.Pattern, frozenset[str], str | None]] = [
    (re.compile(r"\bhow deep\b|\bdepth\b|\bwie tief\b|\bprofundidad\b|\bprofondeur\b|\bprofondit|"
                r"\bque tan profund|\bquanto (e )?profond|多深", re.I), frozenset({"length"}), "depth"),
    (re.compile(r"\bhow (tall|high)\b|\bheight\b|\baltitude\b|\belevation\b|\bwie hoch\b|\bhohe\b|\baltura\b|"
                r"\bhauteur\b|\baltezza\b|\bquanto (e )?alt|多高", re.I), frozenset({"length"}), "height"),
    (re.compile(r"\bhow (wide|broad)\b|\bwidth\b|\bwie breit\b|\banchura\b|\blargeur\b|\blarghezza\b|多宽", re.I),
     frozenset({"length"}), "width"),
    (re.compile(r"\bhow far\b|\bdistance\b|\bwie weit\b|\bdistancia\b|\bquanto (e )?lontan|多远", re.I),
     frozenset({"length"}), "distance"),
    (re.compile(r"\blength\b|\bwie lang\b|\blongitud\b|\blongueur\b|\blunghezza\b|多长", re.I),
     frozenset({"length", "time"}), "length"),
    (re.compile(r"\bhow long\b", re.I), frozenset({"length", "time"}), "length"),
    (re.compile(r"\bhow heavy\b|\bweigh(s|ed|t)?\b|\bmass\b|\bwie schwer\b|\bwiegt\b|\bpesa\b|\bpeso\b|\bpese\b|"
                r"\bpoids\b|多重", re.I), frozenset({"mass"}), None),
    (re.compile(r"\bhow (hot|cold|warm)\b|\btemperature\b|\btemperatur\b|\btemperatura\b|多热|温度", re.I),
     frozenset({"temperature"}), None),
    (re.compile(r"\bhow fast\b|\bspeed\b|\bgeschwindigkeit\b|\bvelocidad\b|\bvitesse\b|\bvelocit", re.I),
     frozenset({"speed"}), None),
    (re.compile(r"\bhow old\b|\bage\b|\bwie alt\b|\bedad\b", re.I), frozenset({"time"}), None),
    (re.compile(r"\barea\b|\bflache\b|\bsuperficie\b|面积", re.I), frozenset({"area"}), None),
    (re.compile(r"\bvolume\b|\bhow much (water|air|gas|oil|rain|sand|ice|mud|milk|fuel)\b|\bvolumen\b|体积", re.I),
     frozenset({"volume"}), None),
]
_HOW_MANY = re.compile(r"\bhow many (?P<noun>[^\W\d_]+)|\bwie viele (?P<de>\w+)|\bcu[aá]nt[oa]s (?P<es>\w+)|"
                       r"\bcombien d[e'] ?(?P<fr>\w+)|\bquant[ie] (?P<it>\w+)", re.I)


# "what is the population of X?" asks for a count of people, as "how many people live in X?" does
_POPULATION = re.compile(r"\bpopulation\b|\binhabitants\b|\bbevolkerung\b|\beinwohner\b|\bpoblacion\b|"
                         r"\bhabitantes\b|\bhabitants\b|\bpopolazione\b|\babitanti\b|人口", re.I)


# "when", "in what year" ask for a date or a time: a number said with a unit of another measure ("57
# kilometers long") is no answer to "when did the Gotthard Base Tunnel open?"
_WHEN = re.compile(r"^\W*when\b|\b(what|which) (year|date)\b|^\W*(wann|cu[aá]ndo|quand|quando)\b|什么时候|哪一?年",
                   re.I)


_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_TIME_WORDS = "spring|summer|autumn|fall|winter|weekend|noon|midnight|dawn|dusk|sunrise|sunset|morning|afternoon|evening"
# A time phrase of an English clause: "in June", "on Monday", "next spring", "at 9 AM", "in 1900", "at noon",
# "June 3". Month and day names are capitalised ("you may" is no month); "May" and "March" need a preposition
# or a day number beside them, as any bare season or part of the day needs its preposition.
_TIME_PHRASE = re.compile(
    r"\b(?:(?i:in|on|at|by|from|until|till|since|before|after|every|each|next|last|this|early|late|mid)[\s-]+)+"
    rf"(?i:the\s+)?(?:(?:{_MONTHS}|{_DAYS})s?\b(?:\s+\d{{1,2}}(?:st|nd|rd|th)?\b)?(?:,?\s+\d{{4}}\b)?"
    rf"|(?i:{_TIME_WORDS})s?\b|\d{{4}}\b|\d{{1,2}}(?:[:.]\d{{2}})?\s*(?i:[ap]\.?\s?m\.?|o'clock)(?!\w))"
    rf"|\b(?:(?!May\b|March\b)(?:{_MONTHS})|{_DAYS})\b(?:\s+\d{{1,2}}(?:st|nd|rd|th)?\b)?(?:,?\s+\d{{4}}\b)?"
    rf"|\b(?:May|March)\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}}\b)?")


def time_phrases(text: str) -> list[str]:
    """The time phrases of an English ``text`` ("in June", "next spring", "at 9 AM", "on Monday"), each once,
    in order: what answers "when" where a small model copied the question's own words instead."""
    return list(dict.fromkeys(m.group().strip() for m in _TIME_PHRASE.finditer(text)))


def asked(question: str) -> Asked | None:
    """The measure (or count) the question asks for; None when it asks for no measure."""
    q = fold(question)
    for pattern, measures, dimension in _ASKED:
        if pattern.search(q):
            return Asked(measures, dimension)
    if m := _HOW_MANY.search(q):
        return Asked(frozenset(), None, next(g for g in m.groups() if g))
    if _POPULATION.search(q):
        return Asked(frozenset(), None, "people")
    if _WHEN.search(q):
        return Asked(frozenset({"date", "time"}), number=False)
    return None


def _tokens(text: str) -> list[str]:
    return re.findall(r"\d[\d.,]*\d|[$€£¥°]|[\w/²³°]+", NO_SPACES.sub(lambda m: f" {m.group()} ", fold(text)))


_SCALE_WORDS = frozenset("million millions thousand thousands billion billions hundred hundreds mil millones "
                         "millionen tausend mille milioni milliarden 万 亿 千 百 about around some roughly over "
                         "nearly almost more than".split())


# Words before a four-digit number that say it is a year ("opened in 1848", "the year 1850", "seit 1848"):
# a date, not a count or a measure ("how many days does the bridge take to build?" is not answered by 1848).
_YEAR_BEFORE = frozenset("in since until till year im seit jahr en desde ano depuis annee nel dal anno".split())


def unit_after(tokens: list[str], at: int) -> str | None:
    """The measure of the unit that follows the number at ``tokens[at]`` (or the currency before it): a
    scale word or two between them is skipped ("30 million cubic meters"), and one other word. A year said as one ("in 1848")
    is a "date"."""
    return _unit_at(tokens, at)[0]


def _unit_at(tokens: list[str], at: int) -> tuple[str | None, str | None]:
    """(:func:`unit_after`, the unit word itself)."""
    if at > 0 and _UNIT_OF.get(tokens[at - 1]) == "price":
        return "price", tokens[at - 1]
    if at > 0 and tokens[at - 1] in _YEAR_BEFORE and re.fullmatch(r"1\d{3}|20\d{2}", tokens[at].replace(",", "")):
        return "date", None
    odd = 1  # one other word may sit between them: Whisper inserts words ("about 100 baby meters")
    for tok in tokens[at + 1: at + 4]:
        if tok in _SCALE_WORDS:
            continue
        if (kind := _UNIT_OF.get(tok)) is not None:
            return kind, tok
        if odd and tok.isalpha():
            odd -= 1
            continue
        return None, None
    return None, None


_SHORT_UNITS = {"m": "meter", "km": "kilometer", "cm": "centimeter", "mm": "millimeter", "ft": "foot", "feet": "foot",
                "kg": "kilogram", "kilos": "kilogram", "g": "gram", "lb": "pound", "lbs": "pound", "inches": "inch"}


def _unit_name(word: str) -> str:
    """One name for a unit's spellings: "km", "kilometres", "kilometers" -> "kilometer"."""
    word = _SHORT_UNITS.get(word, word)
    word = re.sub(r"tres?$", "ter", word)  # metre(s) -> meter
    return _SHORT_UNITS.get(word, word[:-1] if word.endswith("s") and len(word) > 3 else word)


def _same_number(token: str, number: str) -> bool:
    def norm(n: str) -> str:
        n = n.replace(",", "")
        return n.rstrip("0").rstrip(".") if "." in n else n
    return bool(re.fullmatch(r"\d[\d.,]*", token)) and norm(token) == norm(number)


def value_measures(number: str, text: str) -> set[str | None]:
    """The measure of every place ``text`` says ``number`` (digits) with a unit; None for a place with none."""
    tokens = _tokens(text)
    return {unit_after(tokens, i) for i, tok in enumerate(tokens) if _same_number(tok, number)}


def dimensions(text: str) -> set[str]:
    """The dimensions a clause names ("about 6,600 kilometers long": {"length"})."""
    return {d for t in _tokens(text) if (d := _DIMENSION_OF.get(t))}


_CLAUSE = re.compile(r"\s*(?:[;|.!?。，；]\s|[;|。，；]|,\s|\band\b|\bbut\b|\bwhile\b|\bund\b|\by\b|\bet\b|\be\b)\s*",
                     re.I)


def _refuses_clause(want: Asked, number: str, clause: str) -> str | None:
    units = value_measures(number, clause)
    if not units or None in units:
        return None
    if want.counted is not None:
        if _UNIT_OF.get(want.counted) in units:
            # "how many centimeters": a number said in kilometers is no count of centimeters (Madagascar's
            # length for "how many centimeters does Madagascar move each year?")
            tokens = _tokens(clause)
            said = {_unit_name(w) for i, t in enumerate(tokens) if _same_number(t, number)
                    for _, w in [_unit_at(tokens, i)] if w}
            if said and _unit_name(want.counted) not in said:
                return f"{number} is in {'/'.join(sorted(said))}, not {want.counted}"
            return None
        return f"{number} is a {'/'.join(sorted(units))}, not a count of {want.counted}"
    if not units & want.measures:
        return f"{number} is a {'/'.join(sorted(units))}, not a {'/'.join(sorted(want.measures))}"
    if want.dimension and "length" in units:
        said = dimensions(clause)
        if said and want.dimension not in said:
            return f"{number} is a {'/'.join(sorted(said))}, not a {want.dimension}"
    return None


def refuses(want: Asked | None, number: str, text: str) -> str | None:
    """Why ``number`` (digits), as ``text`` says it, is no answer to a question asking ``want``; None when
    it may be. Each clause that says the number is read alone; the number is refused only when every one of
    them says it with a unit of another measure (or a length of another dimension): a number said with no
    unit is left to the other checks."""
    if want is None:
        return None
    reasons = [_refuses_clause(want, number, c) for c in _CLAUSE.split(text)
               if c and any(_same_number(t, number) for t in _tokens(c))]
    return reasons[0] if reasons and all(reasons) else None


# -- what a count counts ----------------------------------------------------------------------------------
_AUX = frozenset("do does did is are was were has have had can could will would shall should may might must".split())
_COUNT_PHRASE = re.compile(r"\bhow many\s+(.*)", re.I)
MAX_COUNTED_WORDS = 4


def counted_words(question: str) -> set[str]:
    """The stems of the words "how many" asks a count of, up to the verb or a preposition other than "of"
    ("how many known moons does": known, moon; "how many kinds of dumplings": kind, dumpl; "how many horses
    work on ...": hors, work); empty when the question asks no "how many"."""
    m = _COUNT_PHRASE.search(fold(question))
    out: set[str] = set()
    for w in re.findall(r"[^\W\d_]+", m.group(1))[:MAX_COUNTED_WORDS] if m else []:
        if w in _AUX or (w in STOPWORDS and w != "of"):
            break
        if w != "of":
            out.add(word_stem(w))
    return out


def _counted_after(tokens: list[str], at: int) -> list[str] | None:
    """The words a number at ``tokens[at]`` counts ("two oceans": [oceans]; "four large moons": [large, moons]):
    up to three words after it (a scale word skipped), to the first word that names nothing; None when the next
    word names nothing ("in 1848", "8 of the planets", the end of the clause) or is a measure's unit."""
    words: list[str] = []
    for tok in tokens[at + 1: at + 6]:
        if tok in _SCALE_WORDS and not words:
            continue
        if not tok.isalpha() or tok in STOPWORDS or tok in _UNIT_OF:
            break
        words.append(tok)
        if len(words) == 3:
            break
    return words or None


def counts_another(question: str, number: str, text: str) -> str | None:
    """Why ``number`` (digits), as English ``text`` says it, counts another thing than the question's "how
    many X" does ("how many horses work on the Panama Canal?" is not answered by "... joins two oceans"); None
    when it may count X: the words that follow it share a stem with the question's counted words, or name
    nothing (a number said alone is left to the other checks). Refused only when every clause that says the
    number counts something else. Another language's words cannot share the English stems: not for them."""
    want = counted_words(question)
    if not want:
        return None
    reasons = []
    for clause in _CLAUSE.split(text):
        tokens = _tokens(clause) if clause else []
        for i, tok in enumerate(tokens):
            if not _same_number(tok, number):
                continue
            things = _counted_after(tokens, i)
            if things is None or want & {word_stem(w) for w in things}:
                return None
            reasons.append(f"{number} counts {' '.join(things)}, not {' '.join(sorted(want))}")
    return reasons[0] if reasons else None


def measure_sources(question: str, sources: list[str]) -> list[str]:
    """What copy decoding may copy from: ``sources`` with each clause whose numbers are all of another
    measure than the question asks for cut out (its item split into the clauses that remain), so the model
    cannot copy the Gulf Stream's flow for its depth. Unchanged for a question that asks for no measure."""
    from videokb.agent.cite import as_digits

    want = asked(question)
    if want is None:
        return sources
    out = []
    for item in sources:
        parts = [c for c in _CLAUSE.split(item) if c and c.strip()]
        keep = []
        for part in parts:
            digits = as_digits(part)
            numbers = [t for t in _tokens(digits) if re.fullmatch(r"\d[\d.,]*", t)]
            if numbers and all(refuses(want, n, digits) for n in numbers):
                continue
            keep.append(part)
        out.extend([item] if len(keep) == len(parts) else keep)
    return out


# -- where -----------------------------------------------------------------------------------------------
_WHERE = re.compile(r"^\W*(where\b|near which\b|(in|off|on|at|from|near) (which|what) (country|city|state|place|region|"
                    r"town|coast|island|sea|ocean|river|lake|part)\b|wo\b|d[oó]nde\b|o[uù]\b|dove\b)|哪里|在哪",
                    re.I)
_PLACE_WORD = re.compile(r"\b(in|near|on|at|off|along|under|inside|beside|behind|across|by|from|to|into|toward|"
                         r"towards|around|between|above|below)\s+(the\s+)?\w+", re.I)
_CAPITAL = re.compile(r"(?<![\w'])[A-Z][a-z]+")


def asks_where(question: str) -> bool:
    return bool(_WHERE.search(question.strip()))


def holds_place(span: str) -> bool:
    """A place: a capitalised name ("Greenland", "San Francisco") or a place word with its noun ("near the
    coast", "on a reef")."""
    return bool(_CAPITAL.search(span) or _PLACE_WORD.search(span))


__all__ = ["Asked", "asked", "asks_where", "counted_words", "counts_another", "dimension_word", "dimensions", "holds_place", "measure_sources", "refuses", "time_phrases", "unit_after", "value_measures"]
