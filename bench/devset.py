"""A generated dev library for search quality: hard cases built from templates, with a seeded train/dev split.

Categories (each query names the video, the scene and which span of it is the truth):

- ``family``: three families of four videos on one topic (cafes, team meetings, science talks) that share
  their vocabulary; each fact occurs once, and each video opens with a generic title scene.
- ``ocr``: words shown on a slide and never spoken anywhere.
- ``paraphrase``: queries that share no content word with the narration they should find.
- ``long``: a ~6-minute lecture of 30 look-alike scenes; a fact lives in one sentence or on one slide.
- ``crosslingual`` / ``native``: narration and slides in German, Spanish, French and Mandarin, queried in
  English and in their own language.
- ``photo``: moments whose only evidence is a photo (scikit-image), the narration says nothing about it.

Videos are made by :mod:`videokb.sample` (espeak-ng + PIL + ffmpeg); this module only writes the specs.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from videokb.sample import (
    RENDER_VERSION,
    SampleVideo,
    SceneSpec,
    VideoSpec,
    make_video,
    read_manifest,
    write_manifest,
)

SEED = 11
# Templates added after the split was first drawn, always train (outside the draw, so the queries of the
# other templates keep their split): more of the shapes that dev failed on, never dev queries' facts.
TRAIN_ONLY = ("lecture_year", "lecture_city", "crosslingual_more")
TRAIN_FRACTION = 0.4
STOPWORDS = set("""a an the of in on at to for from by with and or is are was were be been it its this that these
those what which who whom when where how much many does do did will would can could there their our your my his her
they we you i me us one two three four five six seven eight nine ten first second""".split())


@dataclass(frozen=True)
class Query:
    text: str
    category: str
    video: str  # file name
    scene: int
    target: str  # "speech": the narration's span; "scene": the whole scene (slides, photos)
    template: str = ""  # the template it was made from: the split puts part of every template in train
    split: str = ""


# ------------------------------------------------------------------------------------------------ families
CAFES = [  # name, drink, price words, origin, slide-only line
    ("Harbor", "hazelnut latte", "four dollars and twenty cents", "Ethiopia", "Copper lantern terrace"),
    ("Maple", "lavender mocha", "five dollars and ten cents", "Guatemala", "Velvet armchair lounge"),
    ("Summit", "cardamom cappuccino", "three dollars and sixty cents", "Kenya", "Jazz quartet Fridays"),
    ("Willow", "honey cortado", "four dollars and eighty cents", "Colombia", "Chess club upstairs"),
]
MEETINGS = [  # team, decision, deadline day, budget words, slide-only line
    ("marketing", "launch a podcast about gardening", "Tuesday", "twelve thousand dollars", "Parking garage level B"),
    ("design", "replace the company logo with a green owl", "Thursday", "eight thousand dollars",
     "Whiteboard markers ordered"),
    ("sales", "open a branch office in Dublin", "Monday", "forty thousand dollars", "Printer jam on floor three"),
    ("support", "answer every ticket within two hours", "Friday", "five thousand dollars", "Cactus watering rota"),
]
TALKS = [  # subject, finding, animal/object, count words, slide-only line
    ("volcanoes", "the lava cooled into black glass", "a flock of flamingos", "eleven", "Seismograph calibration"),
    ("glaciers", "the ice sheet lost a third of its mass", "a family of penguins", "seventeen", "Crevasse rescue drill"),
    ("coral reefs", "the reef grew back after the storm", "a school of parrotfish", "twenty three",
     "Snorkel rental desk"),
    ("deserts", "the dunes move ten meters every year", "a herd of camels", "thirty one", "Sunscreen giveaway booth"),
]


# The wording of every family scene and query: a variant (bench/devset_fresh.py) says the same kind of fact
# in other words. Fields are filled with str.format from the fact tuples above.
WORDING = {
    "cafe": ("Welcome to {name} cafe, where coffee lovers meet every day.", "At our cafe the {drink} costs {price}.",
             "All the coffee beans in this cafe are roasted from farms in {origin}.",
             "price of the {drink}", "coffee beans from {origin}"),
    "meeting": ("This is the weekly {team} team meeting, and everyone on the team is here.",
                "The team decided to {decision}, and the deadline is next {day}.",
                "The team budget for this quarter is {budget}.",
                "team decided to {decision}", "{team} team budget for the quarter"),
    "talk": ("Welcome to this science talk about {subject}, and thank you for coming.",
             "Our main finding is that {finding}.", "During the field trip we counted {count} members of {animal}.",
             "{finding}", "how many {animals} were counted"),
    "lecture": ("The {name} bridge in {city} opened in {year}, and it is built from {material}. Engineers still "
                "visit it to study how it was made, and tourists walk across it.",
                "Like every bridge in this lecture, the {name} bridge carries traffic across the water every day. "
                "Take a moment to look at the slide and its drawing before we continue with the next bridge.",
                "{name} Bridge\n{city}", "{name} Bridge\nDesigned by {architect}",
                "bridge built from {material}", "bridge designed by {architect}"),
    "photo": "Here is the next picture from our album.",
    # Train-only lecture queries (TRAIN_ONLY): the year said in one sentence, the city said there and shown
    # on the scene's slide, so train holds the lecture's shape (one fact among 30 look-alike scenes) more than
    # a few times; its two templates above keep their split.
    "lecture_train": ("bridge that opened in {year}", "bridge in {city}"),
}


def _family_videos(d) -> tuple[list[VideoSpec], list[Query]]:
    videos: list[VideoSpec] = []
    queries: list[Query] = []
    w = d.WORDING
    for name, drink, price, origin, shown in d.CAFES:
        f = f"cafe_{name.lower()}.mp4"
        kw = dict(name=name, drink=drink, price=price, origin=origin)
        videos.append(VideoSpec(f, f"{name} Cafe", (
            SceneSpec(w["cafe"][0].format(**kw), slide_text=f"{name} Cafe\nCoffee every day"),
            SceneSpec(w["cafe"][1].format(**kw), slide_text=f"{drink.title()}\n{shown}"),
            SceneSpec(w["cafe"][2].format(**kw), slide_text="Our beans"),
        )))
        queries += [Query(w["cafe"][3].format(**kw), "family", f, 1, "speech", "cafe_price"),
                    Query(w["cafe"][4].format(**kw), "family", f, 2, "speech", "cafe_origin"),
                    Query(shown.lower(), "ocr", f, 1, "scene", "cafe_slide")]
    for team, decision, day, budget, shown in d.MEETINGS:
        f = f"meeting_{team}.mp4"
        kw = dict(team=team, decision=decision, day=day, budget=budget)
        videos.append(VideoSpec(f, f"{team.title()} team meeting", (
            SceneSpec(w["meeting"][0].format(**kw), slide_text=f"{team.title()} team\nWeekly meeting"),
            SceneSpec(w["meeting"][1].format(**kw), slide_text=f"Decision\n{shown}"),
            SceneSpec(w["meeting"][2].format(**kw), slide_text="Budget"),
        )))
        queries += [Query(w["meeting"][3].format(**kw), "family", f, 1, "speech", "meeting_decision"),
                    Query(w["meeting"][4].format(**kw), "family", f, 2, "speech", "meeting_budget"),
                    Query(shown.lower(), "ocr", f, 1, "scene", "meeting_slide")]
    for subject, finding, animal, count, shown in d.TALKS:
        f = f"talk_{subject.replace(' ', '_')}.mp4"
        kw = dict(subject=subject, finding=finding, animal=animal, count=count, animals=animal.split(' of ')[1])
        videos.append(VideoSpec(f, f"Science talk: {subject}", (
            SceneSpec(w["talk"][0].format(**kw), slide_text=f"Science talk\n{subject.title()}"),
            SceneSpec(w["talk"][1].format(**kw), slide_text=f"Finding\n{shown}"),
            SceneSpec(w["talk"][2].format(**kw), slide_text="Field trip"),
        )))
        queries += [Query(w["talk"][3].format(**kw), "family", f, 1, "speech", "talk_finding"),
                    Query(w["talk"][4].format(**kw), "family", f, 2, "speech", "talk_count"),
                    Query(shown.lower(), "ocr", f, 1, "scene", "talk_slide")]
    return videos, queries


# ------------------------------------------------------------------------------------------------ paraphrases
PARAPHRASES = [  # narration, a query sharing no content word with it
    ("The orchestra rehearses every Thursday evening in the old gymnasium.",
     "when does the band practice its music"),
    ("Our physician recommends drinking plenty of water during heat waves.",
     "doctor advice to stay hydrated in hot weather"),
    ("The library lends laptops to students for two weeks at a time.",
     "borrowing computers from the book lending place"),
    ("Firefighters rescued a kitten stuck on the roof of the bakery.",
     "emergency crew saved a young cat from a rooftop"),
    ("The municipal pool closes for repairs throughout August.",
     "swimming facility shut for maintenance in summer"),
    ("Farmers harvested a record amount of pumpkins this autumn.",
     "growers picked the most squash ever in the fall"),
    ("A thief stole bicycles from the train station parking area.",
     "robber took bikes near the railway depot"),
    ("The museum displays ancient pottery discovered near the river.",
     "gallery exhibits old ceramics found by the stream"),
    ("Heavy snowfall cancelled flights at the airport yesterday.",
     "blizzard grounded planes at the terminal"),
    ("The chef prepares spicy noodles with shrimp on weekends.",
     "cook makes hot pasta with prawns on saturdays and sundays"),
    # A third news video, so that train holds enough paraphrases to see their failures.
    ("The mayor opened a new playground beside the town hall.",
     "city leader unveiled a children's play area near the council building"),
    ("Volunteers planted two hundred oak trees along the highway.",
     "helpers put saplings in the ground next to the motorway"),
    ("The dentist warns that sugary sodas damage teeth.",
     "tooth doctor cautions sweet fizzy drinks harm your smile"),
    ("A storm knocked down power lines across the northern villages.",
     "bad weather cut electricity cables in hamlets up north"),
    ("The bookshop hosts a poetry reading every Friday night.",
     "store selling novels holds verse recitals at the end of each week"),
]


def _paraphrase_videos(d) -> tuple[list[VideoSpec], list[Query]]:
    videos, queries = [], []
    for v in range(len(d.PARAPHRASES) // 5):
        f = f"community_news_{v + 1}.mp4"
        scenes = [SceneSpec("Good evening and welcome to the community news.", slide_text="Community news")]
        for i, (narration, query) in enumerate(d.PARAPHRASES[v * 5:(v + 1) * 5], start=1):
            scenes.append(SceneSpec(narration, slide_text=f"Story {i}"))
            queries.append(Query(query, "paraphrase", f, i, "speech", "paraphrase"))
        videos.append(VideoSpec(f, f"Community news {v + 1}", tuple(scenes)))
    for narration, query in d.PARAPHRASES:
        shared = _content(narration) & _content(query)
        if shared:
            raise AssertionError(f"paraphrase query {query!r} shares {shared} with its narration")
    return videos, queries


def _content(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if w not in STOPWORDS}


# ------------------------------------------------------------------------------------------------ lecture
BRIDGES = [  # name, city, material, architect shown on the slide only
    ("Golden", "Lisbon", "steel cables"), ("Stone", "Prague", "granite blocks"), ("Iron", "Glasgow", "cast iron"),
    ("Silver", "Oslo", "aluminium panels"), ("Rose", "Seville", "red brick"), ("Cedar", "Vancouver", "timber beams"),
    ("Falcon", "Cairo", "reinforced concrete"), ("Harbor", "Sydney", "weathering steel"),
    ("Lantern", "Kyoto", "bamboo poles"), ("Meadow", "Dublin", "limestone"), ("Thunder", "Denver", "carbon fiber"),
    ("Coral", "Havana", "glass bricks"), ("Pioneer", "Perth", "recycled plastic"), ("Crown", "Vienna", "marble"),
    ("Willow", "Quebec", "pine logs"),
]
ARCHITECTS = ["Moreau", "Fischer", "Okafor", "Lindqvist", "Tanaka", "Costa", "Novak", "Haddad", "Petrov", "Byrne",
              "Alvarez", "Kowalski", "Dubois", "Jensen", "Rossi"]
YEARS = ["eighteen ninety", "nineteen twelve", "nineteen thirty", "nineteen forty eight", "nineteen fifty five",
         "nineteen sixty", "nineteen sixty seven", "nineteen seventy four", "nineteen eighty one",
         "nineteen eighty nine", "nineteen ninety three", "nineteen ninety nine", "two thousand four",
         "two thousand eleven", "two thousand eighteen"]


def _lecture(d) -> tuple[VideoSpec, list[Query]]:
    f, title = d.LECTURE
    w = d.WORDING["lecture"]
    scenes, queries = [], []
    for i, ((name, city, material), architect, year) in enumerate(zip(d.BRIDGES, d.ARCHITECTS, d.YEARS)):
        # Two scenes per item: a spoken fact with a plain slide, then the slide-only person.
        kw = dict(name=name, city=city, year=year, material=material, architect=architect)
        scenes.append(SceneSpec(w[0].format(**kw), slide_text=w[2].format(**kw)))
        scenes.append(SceneSpec(w[1].format(**kw), slide_text=w[3].format(**kw)))
        queries.append(Query(w[4].format(**kw), "long", f, 2 * i, "speech", "lecture_material"))
        queries.append(Query(w[5].format(**kw), "long", f, 2 * i + 1, "scene", "lecture_architect"))
        year, city = d.WORDING["lecture_train"]
        queries.append(Query(year.format(**kw), "long", f, 2 * i, "speech", "lecture_year", "train"))
        queries.append(Query(city.format(**kw), "long", f, 2 * i, "scene", "lecture_city", "train"))
    return VideoSpec(f, title, tuple(scenes)), queries


# ------------------------------------------------------------------------------------------------ languages
LANGS = [  # voice, file stem, [(narration, slide, english query, native query)]
    ("de", "german_bakery", [
        ("Der Apfelkuchen kostet drei Euro und zwanzig Cent.", "Apfelkuchen\nDrei Euro",
         "how much does the apple cake cost", "Preis des Apfelkuchens"),
        ("Die Bäckerei öffnet jeden Morgen um sechs Uhr.", "Öffnungszeiten\nSechs Uhr",
         "when does the bakery open in the morning", "wann öffnet die Bäckerei"),
        ("Unser Bäcker hat letztes Jahr einen Preis gewonnen.", "Auszeichnung",
         "the baker won an award last year", "Bäcker gewann einen Preis"),
    ]),
    ("es", "spanish_museum", [
        ("Las monedas antiguas son del año mil quinientos.", "Monedas antiguas",
         "how old are the ancient coins", "año de las monedas antiguas"),
        ("El museo cierra los lunes por la tarde.", "Horario del museo",
         "when is the museum closed", "cuándo cierra el museo"),
        ("La entrada para estudiantes es gratuita.", "Estudiantes gratis",
         "free entry for students", "entrada gratuita para estudiantes"),
    ]),
    ("fr-fr", "french_train", [
        ("Le train pour Lyon part à huit heures du matin.", "Départ pour Lyon",
         "when does the train to Lyon leave", "heure de départ du train pour Lyon"),
        ("Le billet aller retour coûte quarante euros.", "Billet aller retour",
         "price of a return ticket", "prix du billet aller retour"),
        ("Les chiens sont interdits dans le wagon restaurant.", "Wagon restaurant",
         "dogs are not allowed in the dining car", "chiens interdits au wagon restaurant"),
    ]),
    ("cmn", "mandarin_tea", [
        ("这家茶馆的绿茶每杯十五元。", "绿茶十五元", "price of a cup of green tea", "绿茶多少钱"),
        ("茶馆每天早上九点开门。", "早上九点开门", "when does the tea house open", "茶馆几点开门"),
        ("老板的茶叶来自云南。", "云南茶叶", "where do the tea leaves come from", "茶叶来自哪里"),
    ]),
    # A second video per language, so that train holds enough queries of each to see their failures.
    ("de", "german_library", [
        ("Die Bibliothek leiht Fahrräder für zwei Tage aus.", "Fahrradverleih",
         "the library lends bicycles", "Bibliothek verleiht Fahrräder"),
        ("Im Keller gibt es einen Raum für Schach.", "Schachraum im Keller",
         "a chess room in the basement", "wo kann man Schach spielen"),
        ("Das Lesecafé schließt um acht Uhr abends.", "Lesecafé\nBis acht Uhr",
         "when does the reading cafe close", "wann schließt das Lesecafé"),
    ]),
    ("es", "spanish_market", [
        ("Las naranjas cuestan dos euros el kilo.", "Naranjas\nDos euros",
         "price of a kilo of oranges", "precio de las naranjas"),
        ("El mercado abre los sábados a las siete.", "Sábados a las siete",
         "when does the market open on saturday", "cuándo abre el mercado"),
        ("El pescadero vende sardinas frescas del puerto.", "Sardinas frescas",
         "fresh sardines from the harbour", "dónde comprar sardinas frescas"),
    ]),
    ("fr-fr", "french_hotel", [
        ("Le petit déjeuner est servi jusqu'à dix heures.", "Petit déjeuner",
         "until what time is breakfast served", "heure du petit déjeuner"),
        ("La piscine de l'hôtel est sur le toit.", "Piscine sur le toit",
         "the hotel pool is on the roof", "où est la piscine de l'hôtel"),
        ("Les chambres ont une vue sur la mer.", "Vue sur la mer",
         "rooms with a sea view", "chambres avec vue sur la mer"),
    ]),
    ("cmn", "mandarin_zoo", [
        ("动物园里有两只大熊猫。", "两只大熊猫", "how many pandas live at the zoo", "动物园有几只熊猫"),
        ("门票价格是八十元。", "门票八十元", "price of a zoo ticket", "门票多少钱"),
        ("动物园周一不开放。", "周一闭园", "which day is the zoo closed", "动物园哪天关门"),
    ]),
]


# Train-only English queries (TRAIN_ONLY "crosslingual_more"): two more wordings of each fact whose English
# query the split put in train (build_specs checks), so train holds English queries over foreign speech more
# than eight times; no dev query's fact gets a train twin.
CROSSLINGUAL_MORE = {
    ("german_bakery", 0): ("price of a slice of apple cake", "what does the apple pie cost"),
    ("spanish_museum", 1): ("which day is the museum shut", "museum closing day"),
    ("french_train", 2): ("can I bring my dog to the restaurant car", "no pets in the dining carriage"),
    ("mandarin_tea", 0): ("how much is green tea", "cost of one green tea at the tea house"),
    ("mandarin_tea", 2): ("origin of the tea leaves", "which region grows the owner's tea"),
    ("german_library", 2): ("closing time of the reading cafe", "until when is the library cafe open"),
    ("spanish_market", 1): ("saturday opening time of the market", "what time does the market start on saturdays"),
    ("french_hotel", 2): ("bedrooms that look out over the ocean", "can I see the sea from my room"),
}


def _language_videos(d) -> tuple[list[VideoSpec], list[Query]]:
    videos, queries = [], []
    for voice, stem, facts in d.LANGS:
        f = f"{stem}.mp4"
        videos.append(VideoSpec(f, stem.replace("_", " ").title(), tuple(
            SceneSpec(narration, slide_text=slide, voice=voice) for narration, slide, _, _ in facts)))
        for i, (_, _, english, native) in enumerate(facts):
            queries.append(Query(english, "crosslingual", f, i, "speech", voice))
            queries.append(Query(native, "native", f, i, "speech", voice))
            queries += [Query(q, "crosslingual", f, i, "speech", "crosslingual_more", "train")
                        for q in d.CROSSLINGUAL_MORE.get((stem, i), ())]
    return videos, queries


# ------------------------------------------------------------------------------------------------ photos
# Photos whose content EfficientNet-Lite0 labels right (MODELS.md), each asked for by its label, by a plainer
# name and by a description of the object; "cup of coffee" also has to beat the four cafe videos. (ImageNet
# has no person class: "photographer in a field" for the camera photo would test the classifier, not search.)
PHOTOS = [("chelsea", ("tabby cat", "a cat with stripes", "pet kitten lying down")),
          ("coffee", ("espresso cup", "cup of coffee", "hot drink on a saucer")),
          ("rocket", ("missile on a launch pad", "space rocket", "spacecraft ready for liftoff")),
          ("camera", ("tripod", "camera stand", "three legged support for a camera"))]
PHOTO_TEMPLATES = ("photo_label", "photo_name", "photo_scene")


def _photo_video(d) -> tuple[VideoSpec, list[Query]]:
    f = "photo_album.mp4"
    scenes = [SceneSpec(d.WORDING["photo"], photo=p) for p, _ in d.PHOTOS]
    queries = [Query(q, "photo", f, i, "scene", t) for i, (_, qs) in enumerate(d.PHOTOS)
               for q, t in zip(qs, PHOTO_TEMPLATES)]
    return VideoSpec(f, "Photo album", tuple(scenes)), queries


# ------------------------------------------------------------------------------------------------ all
LECTURE = ("lecture_bridges.mp4", "Lecture: bridges of the world")
VARIANTS = ("", "fresh", "tune")
TRAIN_ONLY_VARIANTS = ("tune",)  # every query of these is train: they never report dev


def _data(variant: str):
    """The fact tables and wording of a variant: "" (this module's, read while tuning), "fresh" (the same
    templates with other facts, wording, photo queries and languages' sentences: bench/devset_fresh.py) or
    "tune" (a third, all-train library: bench/devset_tune.py)."""
    if variant == "":
        import sys

        return sys.modules[__name__]
    if variant == "fresh":
        from bench import devset_fresh

        return devset_fresh
    if variant == "tune":
        from bench import devset_tune

        return devset_tune
    raise ValueError(f"unknown dev library variant {variant!r}; choose one of {VARIANTS}")


def build_specs(variant: str = "") -> tuple[list[VideoSpec], list[Query]]:
    """Every video spec and every query, queries with their seeded train/dev split (every query of a
    variant in ``TRAIN_ONLY_VARIANTS`` is train)."""
    d = _data(variant)
    videos, queries = [], []
    for make in (_family_videos, _paraphrase_videos, _language_videos):
        v, q = make(d)
        videos += v
        queries += q
    for make in (_lecture, _photo_video):
        v, q = make(d)
        videos.append(v)
        queries += q
    if variant in TRAIN_ONLY_VARIANTS:
        return videos, [Query(**{**asdict(q), "split": "train"}) for q in queries]
    # Stratified by template: each template has queries in train, so a failure kind can be tuned on; a
    # template's dev queries are never seen.
    rng = random.Random(SEED)
    out = [q for q in queries if q.template in TRAIN_ONLY]
    queries = [q for q in queries if q.template not in TRAIN_ONLY]
    for group in sorted({(q.category, q.template) for q in queries}):
        qs = [q for q in queries if (q.category, q.template) == group]
        order = list(range(len(qs)))
        rng.shuffle(order)
        n_train = min(len(qs) - 1, max(1, round(len(qs) * TRAIN_FRACTION)))
        train = set(order[:n_train])
        out += [Query(**{**asdict(q), "split": "train" if i in train else "dev"}) for i, q in enumerate(qs)]
    dev_facts = {(q.video, q.scene) for q in out if q.category == "crosslingual" and q.split == "dev"}
    twins = [q.text for q in out if q.template == "crosslingual_more" and (q.video, q.scene) in dev_facts]
    if twins:
        raise ValueError(f"train-only English queries on facts whose English query is dev: {twins}")
    return videos, out


def _same(video: SampleVideo, spec: VideoSpec) -> bool:
    return video.title == spec.title and [(s.narration, s.slide_text, s.photo) for s in video.scenes] == [
        (s.narration, s.slide_text, s.photo) for s in spec.scenes]


def make_devset(workdir: Path, variant: str = "") -> tuple[list[SampleVideo], list[Query]]:
    """The dev library under ``workdir/videos``: a video whose spec is unchanged since the manifest was written
    by the same renderer (``sample.RENDER_VERSION``) is reused (so an index keeps it), the others are made.
    ``variant`` "fresh": another library from the same templates (give it its own ``workdir``)."""
    specs, queries = build_specs(variant)
    manifest = Path(workdir) / "videos" / "manifest.json"
    version = manifest.parent / "render_version"
    same_renderer = version.exists() and version.read_text().strip() == str(RENDER_VERSION)
    have = {v.path.name: v for v in read_manifest(manifest)} if manifest.exists() and same_renderer else {}
    videos = [have[s.filename] if s.filename in have and _same(have[s.filename], s) else make_video(s, manifest.parent)
              for s in specs]
    write_manifest(videos, manifest)
    version.write_text(f"{RENDER_VERSION}\n")
    (Path(workdir) / "queries.json").write_text(json.dumps([asdict(q) for q in queries], indent=1))
    return videos, queries
