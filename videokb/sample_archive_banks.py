"""The facts, names and question wordings that :mod:`videokb.sample_archive` builds an archive from, one bank
per variant. Bank 0 is the archive the ask branch was tuned on (its dev split has been read); bank 1 shares
no fact, name, number or question wording with it (bakeries, board meetings, other talks, a lecture on
vaccines, other foreign videos), so its dev split is fresh. Each bank also has "train talks": extra videos
whose questions are always train (measures, heights, depths, where / who / when, and near misses of another
measure), so train shows the failure classes the dev kinds have without adding a dev question.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from videokb.sample import SceneSpec

# A talk: (slide title or None for a photo scene, what is said); its facts: (wordings, accepted answers).
Talk = list[tuple[str | None, str]]
Facts = list[tuple[tuple[str, ...], list[str]]]
# A foreign video: file, espeak voice, narration, slide, facts (English question, another language's, accepted)
Foreign = tuple[str, str, str, str, list[tuple[str, str, list[str]]]]


@dataclass(frozen=True)
class Bank:
    shop: str  # the family noun: "cafe" -> harbor_cafe.mp4, "Harbor Cafe"
    shops: list[str]
    items: list[str]
    # (title, {item: cents}, spoken_price, price) -> the shop's scenes
    shop_scenes: Callable[..., tuple[SceneSpec, ...]]
    price_range: range
    meeting_file: str  # "team_meeting_{d}.mp4"
    meeting_title: str  # "{D} Team Meeting"
    meeting_open: tuple[str, str]  # (said, slide), formatted with D
    days: list[str]
    topics: dict[str, tuple[str, str]]  # topic -> (agenda slide line, a sentence that says it)
    distractor: tuple[str, str, tuple[SceneSpec, ...]]
    talks: dict[str, Talk]
    talk_facts: dict[str, Facts]
    lecture: tuple[str, str]  # (file, title)
    lecture_fact: tuple[str, str]  # (said, slide), formatted with i, thing, year
    lecture_filler: str  # formatted with i
    lecture_things: list[str]
    lecture_years: tuple[int, int, int]  # base, step, jitter
    foreign: list[Foreign]
    not_in_archive: list[str]  # "{shop}": the first shop's title
    lookup_t: list[str]
    compare_t: list[str]
    count_t: list[str]
    adjacent_t: list[str]
    long_t: list[str]
    train_talks: dict[str, Talk]
    train_facts: dict[str, Facts]
    train_not_found: list[str]


def _cafe(title, p, spoken_price, price) -> tuple[SceneSpec, ...]:
    return (
        SceneSpec(f"Welcome to {title}. An espresso costs {spoken_price(p['espresso'])}, and a croissant "
                  f"costs {spoken_price(p['croissant'])}.",
                  slide_text=f"{title} menu\nEspresso {price(p['espresso'])}\nCroissant {price(p['croissant'])}"),
        SceneSpec("This photo shows a red cup of espresso on a saucer with a silver spoon.", photo="coffee"),
        SceneSpec(f"Our blueberry muffin costs {spoken_price(p['muffin'])}, baked fresh every morning.",
                  slide_text=f"Blueberry muffin {price(p['muffin'])}\nBaked daily"),
    )


def _bakery(title, p, spoken_price, price) -> tuple[SceneSpec, ...]:
    return (
        SceneSpec(f"Welcome to {title}. A baguette costs {spoken_price(p['baguette'])}, and a scone costs "
                  f"{spoken_price(p['scone'])}.",
                  slide_text=f"{title} prices\nBaguette {price(p['baguette'])}\nScone {price(p['scone'])}"),
        SceneSpec("This photo shows a pile of old coins on the counter next to the bread basket.", photo="coins"),
        SceneSpec(f"Our salted pretzel costs {spoken_price(p['pretzel'])}, shaped by hand every day.",
                  slide_text=f"Salted pretzel {price(p['pretzel'])}\nHandmade"),
    )


BANK0 = Bank(
    shop="cafe", shops=["harbor", "corner", "garden", "station", "river", "market"],
    items=["espresso", "croissant", "muffin"], shop_scenes=_cafe, price_range=range(150, 650, 10),
    meeting_file="team_meeting_{d}.mp4", meeting_title="{D} Team Meeting",
    meeting_open=("Good morning, this is the {D} team meeting.", "Team meeting\n{D} agenda"),
    days=["monday", "tuesday", "wednesday", "thursday", "friday"],
    topics={
        "fire drill": ("Fire drill", "The fire drill is planned for next week, so please know your exits."),
        "budget review": ("Budget review", "The budget review needs every team's numbers by the end of the month."),
        "parking lot": ("Parking lot", "The parking lot will be repaved, so park on the street for two days."),
        "holiday party": ("Holiday party", "The holiday party will be held in the cafeteria this year."),
        "new interns": ("New interns", "Three new interns join the design team on Monday."),
    },
    distractor=("school_cafeteria.mp4", "School Cafeteria", (
        SceneSpec("Welcome to the school cafeteria. An espresso costs one dollar, and a croissant costs "
                  "one dollar and ten cents.",
                  slide_text="School cafeteria menu\nEspresso $1.00\nCroissant $1.10"),
        SceneSpec("After the fire drill, lunch is served at noon in the main hall.",
                  slide_text="Lunch at noon\nMain hall"),
    )),
    talks={
        "ocean_currents_talk": [
            ("Ocean currents", "Ocean currents carry warm water from the equator toward the poles."),
            ("The Gulf Stream", "The Gulf Stream moves about thirty million cubic meters of water every second."),
            (None, "This photo shows the moon, whose gravity drives the tides along every coast."),
            ("Deep water", "Cold salty water sinks near Greenland and flows south along the ocean floor."),
        ],
        "volcano_talk": [
            ("How volcanoes form", "Volcanoes form where magma rises through cracks in the crust."),
            ("Mount Etna", "Mount Etna in Sicily is about three thousand three hundred meters tall."),
            ("Lava temperature", "Fresh lava can reach about eleven hundred degrees Celsius."),
            (None, "This picture shows layers of cooled rock, like bricks stacked by many eruptions."),
        ],
        "bird_migration_talk": [
            ("Why birds migrate", "Birds migrate to follow food and warm weather across the seasons."),
            ("The Arctic tern", "The Arctic tern flies from pole to pole, the longest migration of any bird."),
            (None, "This photo shows a clock, because migrating birds keep time by the length of the day."),
            ("Navigation", "Many birds navigate with the magnetic field of the earth and the position of the sun."),
        ],
        "solar_system_talk": [
            ("The planets", "Eight planets orbit the sun, and the four inner ones are made of rock."),
            ("Jupiter", "Jupiter is the largest planet, more than eleven times wider than the earth."),
            ("Neptune", "Neptune has sixteen known moons and the fastest winds in the solar system."),
            (None, "This picture of the deep sky shows thousands of galaxies far beyond our own."),
        ],
    },
    talk_facts={  # the first wording is each talk's old question
        "ocean_currents_talk": [
            (("How much water does the Gulf Stream move every second?",
              "What volume of water does the Gulf Stream carry each second?"),
             ["30 million", "thirty million", "30,000,000", "30000000"]),
            (("Where does cold salty water sink?", "Near which island does cold salty water sink?"), ["greenland"]),
        ],
        "volcano_talk": [
            (("How tall is Mount Etna?", "What is the height of Mount Etna?"),
             ["3,300", "3300", "three thousand three hundred"]),
            (("How hot can fresh lava get?", "What temperature can fresh lava reach?"),
             ["1100", "1,100", "eleven hundred"]),
        ],
        "bird_migration_talk": [
            (("Which bird has the longest migration?", "What bird flies from pole to pole?"),
             ["arctic tern", "tern"]),
            (("How do many birds navigate?", "What do many birds use to navigate?"), ["magnetic field", "magnetic"]),
        ],
        "solar_system_talk": [
            (("How many known moons does Neptune have?", "What number of moons does Neptune have?"),
             ["16", "sixteen"]),
            (("How many planets orbit the sun?", "What number of planets go around the sun?"), ["8", "eight"]),
        ],
    },
    lecture=("history_of_chemistry_lecture.mp4", "History of Chemistry"),
    lecture_fact=("Part {i}. The discovery of {thing} was reported in the year {year}.", "Part {i}\n{Thing}: {year}"),
    lecture_filler="Part {i}. Chemists of that time argued about element {i} and many careful measurements were "
                   "repeated in the laboratory.",
    lecture_things=["oxygen", "hydrogen", "nitrogen", "chlorine", "helium", "argon", "neon", "iodine", "sodium",
                    "potassium", "calcium", "barium"],
    lecture_years=(1700, 7, 5),
    foreign=[
        ("bakerei_berlin.mp4", "de", "Der Apfelkuchen kostet vier Euro und die Bäckerei öffnet um sieben Uhr.",
         "Apfelkuchen 4 Euro\nGeöffnet ab 7 Uhr", [
             ("How much does the apple cake cost at the Berlin bakery?",
              "¿Cuánto cuesta la tarta de manzana en la panadería de Berlín?", ["4"]),
             ("At what time does the Berlin bakery open?", "À quelle heure ouvre la boulangerie de Berlin ?", ["7"])]),
        ("mercado_madrid.mp4", "es", "Las naranjas cuestan dos euros el kilo y el mercado cierra a las tres.",
         "Naranjas 2 euros el kilo\nCierre 15:00", [
             ("How much is a kilo of oranges at the Madrid market?",
              "Wie viel kostet ein Kilo Orangen auf dem Markt in Madrid?", ["2"]),
             ("When does the Madrid market close?", "Quand ferme le marché de Madrid ?", ["3", "15"])]),
        ("musee_paris.mp4", "fr", "Le musée possède neuf cents tableaux et le billet coûte quinze euros.",
         "Billet 15 euros\n900 tableaux", [
             ("How much is a ticket to the Paris museum?",
              "¿Cuánto cuesta una entrada al museo de París?", ["15"]),
             ("How many paintings does the Paris museum have?", "Wie viele Gemälde hat das Museum in Paris?",
              ["900", "nine hundred"])]),
        ("chaguan_beijing.mp4", "cmn", "这家茶馆有三十种茶，每杯茶八元。", "30种茶\n每杯8元", [
            ("How much is a cup of tea at the Beijing tea house?", "北京茶馆一杯茶多少钱？", ["8"]),
            ("How many kinds of tea does the Beijing tea house serve?",
             "¿Cuántos tipos de té sirve la casa de té de Pekín?", ["30", "thirty"])]),
        ("gelateria_roma.mp4", "it", "Una coppa di gelato costa tre euro e la gelateria chiude alle dieci di sera.",
         "Gelato 3 euro\nChiude alle 22", [
             ("How much is a cup of ice cream at the Rome gelateria?",
              "Combien coûte une coupe de glace à la gelateria de Rome ?", ["3"]),
             ("When does the Rome gelateria close?", "Wann schließt die Gelateria in Rom?", ["10", "22"])]),
    ],
    not_in_archive=[
        "Who won the chess tournament?", "What is the price of a bicycle repair?",
        "How many goals were scored in the football final?", "When does the swimming pool open?",
        "What is the name of the orchestra conductor?", "How much is a haircut at the barber shop?",
        "How tall is Mount Fuji?", "What time does the library close on Sunday?",
        "How much does a bagel cost at {shop}?", "In what year was the discovery of gold reported?",
        "How many moons does Saturn have?", "Which team won the rowing race?",
        # near misses: a thing the archive's videos could hold but do not (a cafe without lattes, a lecture
        # without copper, a talk on Jupiter that gives no moons, the Gulf Stream's depth)
        "How much does a latte cost at {shop}?", "In what year was the discovery of copper reported?",
        "How many moons does Jupiter have?", "How deep is the Gulf Stream?",
        "How many people attended the budget review?", "What is the price of a movie ticket?",
        "How tall is the Eiffel Tower?", "Who painted the Mona Lisa?", "When does the train to Munich leave?"],
    # "{a}" is the article of the item
    lookup_t=["How much is {a} {item} at {title}?", "What does {a} {item} cost at {title}?",
              "What is the price of {a} {item} at {title}?", "At {title}, how much do they charge for {a} {item}?"],
    compare_t=["Which of the cafes sells the {word} {item}?", "Which cafe has the {word} {item}?",
               "Which of our cafes offers the {word} {item}?"],
    count_t=["How many of the meetings mention the {topic}?", "How many meetings talk about the {topic}?",
             "In how many of the team meetings is the {topic} discussed?"],
    adjacent_t=["What is said after the slide titled {title}?",
                "What does the speaker say after the slide called {title}?",
                "What comes after the slide titled {title}?"],
    long_t=["In what year was the discovery of {thing} reported?",
            "According to the lecture, when was the discovery of {thing} reported?"],
    train_talks={
        "lighthouses_talk": [
            ("Old lighthouses", "Old lighthouses guided ships past dangerous rocks with fire and mirrors."),
            ("The Bell Rock", "The Bell Rock lighthouse stands about thirty five meters tall on a reef off Scotland."),
            (None, "This picture shows a camera, used to record the lamp of the tower every night."),
            ("Keepers", "Robert Stevenson designed the Bell Rock lighthouse, and it was finished in 1810."),
        ],
        "lakes_talk": [
            ("Great lakes", "Lakes hold most of the fresh water that people can reach."),
            ("Lake Baikal", "Lake Baikal in Siberia is about sixteen hundred meters deep, the deepest lake on earth."),
            (None, "This photo shows the moon above a frozen lake in the middle of winter."),
            ("Lake Superior", "Lake Superior is about five hundred sixty kilometers long and very cold."),
        ],
    },
    train_facts={
        "lighthouses_talk": [
            (("How tall is the Bell Rock lighthouse?", "What is the height of the Bell Rock lighthouse?"),
             ["35", "thirty five"]),
            (("Where does the Bell Rock lighthouse stand?", "Off which country is the Bell Rock reef?"),
             ["reef", "scotland"]),
            (("Who designed the Bell Rock lighthouse?",), ["stevenson"]),
            (("When was the Bell Rock lighthouse finished?",), ["1810"]),
        ],
        "lakes_talk": [
            (("How deep is Lake Baikal?", "What is the depth of Lake Baikal?"), ["1600", "1,600", "sixteen hundred"]),
            (("Where is Lake Baikal?",), ["siberia"]),
            (("How long is Lake Superior?", "What is the length of Lake Superior?"), ["560", "five hundred sixty"]),
        ],
    },
    train_not_found=["How deep is Lake Superior?", "How long is Lake Baikal?", "How heavy is the Bell Rock lighthouse?",
                     "How wide is the Gulf Stream?", "How many days does the Arctic tern fly?"],
)

BANK1 = Bank(
    shop="bakery", shops=["maple", "lantern", "bridge", "orchard", "willow", "summit"],
    items=["baguette", "scone", "pretzel"], shop_scenes=_bakery, price_range=range(120, 900, 10),
    meeting_file="board_meeting_{d}.mp4", meeting_title="{D} Board Meeting",
    meeting_open=("Welcome everyone, this is the {D} board meeting.", "Board meeting\n{D} agenda"),
    days=["january", "february", "march", "april", "may"],
    topics={
        "office move": ("Office move", "The office move to the new building starts in June, so pack your desks."),
        "security audit": ("Security audit", "The security audit found two old laptops that still need updates."),
        "charity run": ("Charity run", "The charity run raised money for the children's hospital this spring."),
        "hiring plan": ("Hiring plan", "The hiring plan adds four engineers to the support team this year."),
        "travel policy": ("Travel policy", "The travel policy asks for train tickets instead of flights on short trips."),
    },
    distractor=("hospital_kiosk.mp4", "Hospital Kiosk", (
        SceneSpec("Welcome to the hospital kiosk. A baguette costs two dollars, and a scone costs one dollar and "
                  "fifty cents.", slide_text="Hospital kiosk prices\nBaguette $2.00\nScone $1.50"),
        SceneSpec("Before the security audit, every visitor signs in at the front desk.",
                  slide_text="Sign in\nFront desk"),
    )),
    talks={
        "river_systems_talk": [
            ("Great rivers", "Great rivers carry fresh water and mud from the mountains down to the sea."),
            ("The Nile", "The Nile is about six thousand six hundred kilometers long, the longest river in Africa."),
            (None, "This photo shows the moon over a quiet river bank at night."),
            ("The Amazon", "The Amazon carries about two hundred thousand cubic meters of water each second."),
        ],
        "whales_talk": [
            ("The blue whale", "The blue whale weighs about one hundred fifty tonnes, more than any other animal."),
            ("Deep divers", "Sperm whales dive about two thousand meters deep to hunt giant squid."),
            (None, "This picture shows a clock, because whales time their journeys by the seasons."),
            ("Whale songs", "Humpback whales sing long songs that travel across the whole ocean."),
        ],
        "castles_talk": [
            ("Medieval castles", "Medieval castles were built on hills so that guards could see enemies coming."),
            ("Windsor Castle", "William the Conqueror built Windsor Castle on a hill west of London."),
            (None, "This photo shows old stone walls, laid brick by brick like the castle towers."),
            ("The keep", "The keep was the strongest tower, about thirty meters high, where the lord lived."),
        ],
        "desert_talk": [
            ("Hot deserts", "Hot deserts get very little rain, and their sand can burn bare feet at noon."),
            ("The Sahara", "The Sahara covers about nine million square kilometers of northern Africa."),
            (None, "This picture of the night sky shows thousands of galaxies above the desert."),
            ("Oases", "The Siwa oasis lies in the western desert of Egypt, close to the border with Libya."),
        ],
    },
    talk_facts={
        "river_systems_talk": [
            (("How long is the Nile?", "What is the length of the Nile?"),
             ["6,600", "6600", "six thousand six hundred"]),
            (("How much water does the Amazon carry each second?",
              "What volume of water flows down the Amazon every second?"),
             ["200,000", "200000", "two hundred thousand"]),
        ],
        "whales_talk": [
            (("How heavy is the blue whale?", "How much does the blue whale weigh?"), ["150", "one hundred fifty"]),
            (("How deep do sperm whales dive?", "To what depth do sperm whales dive?"), ["2,000", "2000", "two thousand"]),
        ],
        "castles_talk": [
            (("Who built Windsor Castle?", "Which king built Windsor Castle?"), ["william", "conqueror"]),
            (("How tall was the keep?", "What was the height of the keep?"), ["30", "thirty"]),
        ],
        "desert_talk": [
            (("Where does the Siwa oasis lie?", "In which country is the Siwa oasis?"), ["egypt"]),
            (("How large is the Sahara?", "What area does the Sahara cover?"),
             ["9 million", "nine million", "9,000,000", "9000000"]),
        ],
    },
    lecture=("history_of_medicine_lecture.mp4", "History of Medicine"),
    lecture_fact=("Part {i}. The vaccine against {thing} was first tested in the year {year}.",
                  "Part {i}\n{Thing} vaccine: {year}"),
    lecture_filler="Part {i}. Doctors of that era wrote about case {i} and many patient records were copied by "
                   "hand in the hospital.",
    lecture_things=["smallpox", "rabies", "cholera", "typhoid", "plague", "tetanus", "diphtheria", "measles",
                    "mumps", "polio", "rubella", "influenza"],
    lecture_years=(1780, 5, 4),
    foreign=[
        ("buchladen_hamburg.mp4", "de", "Der Roman kostet zwölf Euro und der Buchladen schließt um acht Uhr abends.",
         "Roman 12 Euro\nGeschlossen ab 20 Uhr", [
             ("How much does the novel cost at the Hamburg bookshop?",
              "¿Cuánto cuesta la novela en la librería de Hamburgo?", ["12"]),
             ("When does the Hamburg bookshop close?", "À quelle heure ferme la librairie de Hambourg ?", ["8", "20"])]),
        ("zoologico_sevilla.mp4", "es", "El zoológico tiene cuarenta elefantes y la entrada cuesta nueve euros.",
         "Entrada 9 euros\n40 elefantes", [
             ("How much is a ticket to the zoo in Sevilla?",
              "Was kostet eine Eintrittskarte für den Zoo in Sevilla?", ["9"]),
             ("How many elephants does the Sevilla zoo have?", "Combien d'éléphants a le zoo de Sevilla ?",
              ["40", "forty"])]),
        ("gare_lyon.mp4", "fr", "Le train pour Marseille part à neuf heures et le billet coûte trente euros.",
         "Marseille 9h00\nBillet 30 euros", [
             ("When does the train to Marseille leave from Lyon?",
              "¿A qué hora sale el tren a Marsella desde Lyon?", ["9"]),
             ("How much is a train ticket from Lyon to Marseille?",
              "Wie viel kostet eine Fahrkarte von Lyon nach Marseille?", ["30", "thirty"])]),
        ("mianguan_shanghai.mp4", "cmn", "这家面馆有二十种面，每碗面十二元。", "20种面\n每碗12元", [
            ("How much is a bowl of noodles at the Shanghai noodle shop?", "上海面馆一碗面多少钱？", ["12"]),
            ("How many kinds of noodles does the Shanghai noodle shop serve?",
             "Quanti tipi di noodles serve il ristorante di Shanghai?", ["20", "twenty"])]),
        ("pizzeria_napoli.mp4", "it", "Una pizza margherita costa sette euro e la pizzeria apre alle sei di sera.",
         "Margherita 7 euro\nApre alle 18", [
             ("How much is a pizza margherita at the Napoli pizzeria?",
              "Combien coûte une pizza margherita à la pizzeria de Napoli ?", ["7"]),
             ("When does the Napoli pizzeria open?", "¿Cuándo abre la pizzería de Napoli?", ["6", "18"])]),
    ],
    not_in_archive=[
        "Who won the tennis match?", "How much is an oil change at the garage?",
        "How many runs were scored in the cricket final?", "When does the ice rink open?",
        "What is the name of the museum director?", "How much does a pedicure cost at the spa?",
        "How tall is Mount Everest?", "What time does the post office close on Saturday?",
        "How much does a croissant cost at {shop}?", "In which year was the vaccine against malaria first tested?",
        "How long is the Danube?", "Which team won the sailing race?",
        # near misses
        "How much does a muffin cost at {shop}?", "In which year was the vaccine against leprosy first tested?",
        "How deep is the Nile?", "How heavy is the humpback whale?", "How wide is the Amazon?",
        "How many people attended the travel policy review?", "Who built the Tower of London?",
        "What is the price of a bus pass?", "When does the ferry to Capri leave?"],
    lookup_t=["What is the cost of {a} {item} at {title}?", "How much would {a} {item} cost me at {title}?",
              "What do they charge for {a} {item} at {title}?", "At {title}, what is the price of {a} {item}?"],
    compare_t=["Which of the bakeries sells the {word} {item}?", "Which bakery offers the {word} {item}?",
               "Which of our bakeries has the {word} {item}?"],
    count_t=["How many of the board meetings mention the {topic}?", "How many meetings discussed the {topic}?",
             "In how many of the meetings was the {topic} raised?"],
    adjacent_t=["What is said right after the slide titled {title}?",
                "What does the presenter say after the slide called {title}?",
                "What is discussed after the slide titled {title}?"],
    long_t=["In which year was the vaccine against {thing} first tested?",
            "According to the lecture, when was the {thing} vaccine first tested?"],
    train_talks={
        "bridges_talk": [
            ("Famous bridges", "Bridges let people cross rivers, valleys and narrow straits of the sea."),
            ("The Golden Gate", "The Golden Gate Bridge in San Francisco is about two thousand seven hundred meters "
                                "long."),
            (None, "This photo shows a clock on a bridge tower that rings every hour."),
            ("Builders", "Joseph Strauss led the building of the Golden Gate Bridge, which opened in 1937."),
        ],
        "caves_talk": [
            ("Caves", "Caves form when water slowly dissolves soft rock over many years."),
            ("Krubera Cave", "Krubera Cave in Georgia is about two thousand two hundred meters deep."),
            (None, "This picture shows layers of rock, like bricks laid down by water over the ages."),
            ("Mammoth Cave", "Mammoth Cave in Kentucky has about six hundred kilometers of mapped passages."),
        ],
    },
    train_facts={
        "bridges_talk": [
            (("How long is the Golden Gate Bridge?", "What is the length of the Golden Gate Bridge?"),
             ["2,700", "2700", "two thousand seven hundred"]),
            (("Who led the building of the Golden Gate Bridge?",), ["strauss"]),
            (("When did the Golden Gate Bridge open?",), ["1937"]),
            (("Where is the Golden Gate Bridge?",), ["san francisco"]),
        ],
        "caves_talk": [
            (("How deep is Krubera Cave?", "What is the depth of Krubera Cave?"),
             ["2,200", "2200", "two thousand two hundred"]),
            (("Where is Mammoth Cave?", "In which state is Mammoth Cave?"), ["kentucky"]),
        ],
    },
    train_not_found=["How tall is the Golden Gate Bridge?", "How heavy is the Golden Gate Bridge?",
                     "How long is Krubera Cave?", "How many days did the building of the Golden Gate take?"],
)

BANKS = [BANK0, BANK1]

__all__ = ["BANKS", "BANK0", "BANK1", "Bank"]
