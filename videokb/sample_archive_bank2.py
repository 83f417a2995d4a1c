"""Bank 2 of :mod:`videokb.sample_archive`: a third archive made after the before/after fixes of issue 12's
last round, sharing no fact, name, number or question wording with banks 0 and 1 (florists, staff meetings,
a garden center, talks on mountains, rainforests, honeybees and telescopes, a lecture on old maps, a Bremen
pharmacy, a Valencia theater, a Lille cheese shop, a Chengdu dumpling house, a Torino bookshop). Its train
and mixed splits may be read; its dev split is reported only as figures.
"""

from __future__ import annotations

from videokb.sample import SceneSpec
from videokb.sample_archive_banks import Bank


def _florist(title, p, spoken_price, price) -> tuple[SceneSpec, ...]:
    return (
        SceneSpec(f"Welcome to {title}. A rose costs {spoken_price(p['rose'])}, and a tulip costs "
                  f"{spoken_price(p['tulip'])}.",
                  slide_text=f"{title} flowers\nRose {price(p['rose'])}\nTulip {price(p['tulip'])}"),
        SceneSpec("This photo shows a clock on the wall above the flower buckets.", photo="clock"),
        SceneSpec(f"Our sunflower costs {spoken_price(p['sunflower'])}, cut fresh from the field.",
                  slide_text=f"Sunflower {price(p['sunflower'])}\nFresh cut"),
    )


BANK2 = Bank(
    shop="florist", shops=["sunrise", "cobalt", "juniper", "granite", "hazel", "elm"],
    items=["rose", "tulip", "sunflower"], shop_scenes=_florist, price_range=range(200, 1200, 10),
    meeting_file="staff_meeting_{d}.mp4", meeting_title="{D} Staff Meeting",
    meeting_open=("Hello all, welcome to the {D} staff meeting.", "Staff meeting\n{D} topics"),
    days=["north", "south", "east", "west", "central"],
    topics={
        "roof repair": ("Roof repair", "The roof repair over the loading dock starts after the rain stops."),
        "coffee machine": ("Coffee machine", "The coffee machine on the third floor is broken until Friday."),
        "first aid course": ("First aid course", "The first aid course is open to everyone who signs up by "
                                                 "Thursday."),
        "summer picnic": ("Summer picnic", "The summer picnic moves to the river park because of the crowds."),
        "printer upgrade": ("Printer upgrade", "The printer upgrade brings color printing to every floor."),
    },
    distractor=("garden_center.mp4", "Garden Center", (
        SceneSpec("Welcome to the garden center. A rose costs three dollars, and a tulip costs two dollars and "
                  "fifty cents.", slide_text="Garden center prices\nRose $3.00\nTulip $2.50"),
        SceneSpec("Before the summer picnic, the greenhouse closes early on Friday.",
                  slide_text="Greenhouse\nCloses early Friday"),
    )),
    talks={
        "mountains_talk": [
            ("High mountains", "High mountains make their own weather, with snow on the peaks in every season."),
            ("Mount Kilimanjaro", "Mount Kilimanjaro in Tanzania rises about five thousand eight hundred ninety "
                                  "meters above the sea."),
            (None, "This photo shows the moon rising behind a sharp ridge of bare rock."),
            ("Mountain goats", "Mountain goats climb steep cliffs with soft pads under their hooves."),
        ],
        "rainforest_talk": [
            ("Tropical rainforests", "Tropical rainforests cover a small part of the land but hold half of all "
                                     "animal species."),
            ("The Congo Basin", "The Congo Basin holds the second largest rainforest, spread over six countries "
                                "of central Africa."),
            ("Rainforest rain", "Some rainforests receive about ten thousand millimeters of rain in a single year."),
            (None, "This picture shows a clock, because the rain falls at nearly the same hour every afternoon."),
        ],
        "honeybees_talk": [
            ("Honeybees", "Honeybees live in colonies ruled by a single queen."),
            (None, "This photo shows old coins, because honey was once traded like money."),
            ("The waggle dance", "A worker bee does the waggle dance to show the others where flowers grow."),
            ("Bee flights", "A honeybee visits about one thousand five hundred flowers on a busy day."),
        ],
        "telescopes_talk": [
            ("Early telescopes", "Galileo pointed an early telescope at Jupiter and saw four small moons."),
            ("The Hubble telescope", "The Hubble telescope orbits about five hundred forty kilometers above the "
                                     "earth."),
            (None, "This picture of the deep sky shows thousands of galaxies seen by the telescope."),
            ("Radio telescopes", "Radio telescopes listen to faint signals from gas clouds between the stars."),
        ],
    },
    talk_facts={
        "mountains_talk": [
            (("How tall is Mount Kilimanjaro?", "What is the height of Mount Kilimanjaro?"),
             ["5,890", "5890", "five thousand eight hundred ninety"]),
            (("Where is Mount Kilimanjaro?", "In which country is Mount Kilimanjaro?"), ["tanzania"]),
        ],
        "rainforest_talk": [
            (("How much rain do some rainforests receive in a year?",
              "What amount of rain falls on some rainforests each year?"), ["10,000", "10000", "ten thousand"]),
            (("Where is the Congo Basin?", "In which part of Africa is the Congo Basin?"), ["africa"]),
        ],
        "honeybees_talk": [
            (("Who rules a honeybee colony?", "What rules a colony of honeybees?"), ["queen"]),
            (("How many flowers does a honeybee visit on a busy day?",
              "What number of flowers does a honeybee visit in a busy day?"),
             ["1,500", "1500", "one thousand five hundred", "fifteen hundred"]),
        ],
        "telescopes_talk": [
            (("How high does the Hubble telescope orbit?", "At what height does the Hubble telescope orbit?"),
             ["540", "five hundred forty"]),
            (("How many moons did Galileo see around Jupiter?", "What number of moons did Galileo see at Jupiter?"),
             ["4", "four"]),
        ],
    },
    lecture=("history_of_maps_lecture.mp4", "History of Maps"),
    lecture_fact=("Part {i}. The first printed map of {thing} appeared in the year {year}.",
                  "Part {i}\n{Thing} map: {year}"),
    lecture_filler="Part {i}. Mapmakers of that age copied coastline {i} from the notes of sailors and "
                   "merchants.",
    lecture_things=["portugal", "norway", "japan", "peru", "chile", "ireland", "poland", "sweden", "greece",
                    "turkey", "mexico", "brazil"],
    lecture_years=(1480, 6, 4),
    foreign=[
        ("apotheke_bremen.mp4", "de", "Die Salbe kostet sechs Euro und die Apotheke öffnet um acht Uhr.",
         "Salbe 6 Euro\nGeöffnet ab 8 Uhr", [
             ("How much is the ointment at the Bremen pharmacy?",
              "¿Cuánto cuesta la pomada en la farmacia de Bremen?", ["6"]),
             ("When does the Bremen pharmacy open?", "À quelle heure ouvre la pharmacie de Bremen ?", ["8"])]),
        ("teatro_valencia.mp4", "es", "La entrada cuesta veinte euros y el teatro abre a las siete.",
         "Entrada 20 euros\nAbre 19:00", [
             ("How much is a ticket to the Valencia theater?",
              "Was kostet eine Karte für das Theater in Valencia?", ["20", "twenty"]),
             ("When does the Valencia theater open?", "Quand ouvre le théâtre de Valencia ?", ["7", "19"])]),
        ("fromagerie_lille.mp4", "fr", "La fromagerie vend quarante fromages et le camembert coûte cinq euros.",
         "Camembert 5 euros\n40 fromages", [
             ("How much is a camembert at the Lille cheese shop?",
              "¿Cuánto cuesta un camembert en la quesería de Lille?", ["5"]),
             ("How many cheeses does the Lille cheese shop sell?",
              "Wie viele Käsesorten verkauft der Käseladen in Lille?", ["40", "forty"])]),
        ("jiaozi_chengdu.mp4", "cmn", "这家饺子馆有十五种饺子，每盘饺子九元。", "15种饺子\n每盘9元", [
            ("How much is a plate of dumplings at the Chengdu dumpling house?", "成都饺子馆一盘饺子多少钱？", ["9"]),
            ("How many kinds of dumplings does the Chengdu dumpling house make?",
             "¿Cuántos tipos de empanadillas hace la casa de empanadillas de Chengdu?", ["15", "fifteen"])]),
        ("libreria_torino.mp4", "it", "Un quaderno costa quattro euro e la libreria chiude alle nove di sera.",
         "Quaderno 4 euro\nChiude alle 21", [
             ("How much is a notebook at the Torino bookshop?",
              "Combien coûte un cahier à la librairie de Torino ?", ["4"]),
             ("When does the Torino bookshop close?", "¿Cuándo cierra la librería de Torino?", ["9", "21"])]),
    ],
    not_in_archive=[
        "Who won the cycling race?", "How much is a car wash at the petrol station?",
        "How many points were scored in the basketball final?", "When does the bowling alley open?",
        "What is the name of the school principal?", "How much does a massage cost at the salon?",
        "How tall is Mount Kenya?", "What time does the bank close on Friday?",
        "How much does an orchid cost at {shop}?", "In which year did the first printed map of Canada appear?",
        "How long is the Volga?", "Which team won the chess league?",
        # near misses
        "How much does a lily cost at {shop}?", "In which year did the first printed map of France appear?",
        "How deep is the Congo Basin?", "How heavy is the Hubble telescope?",
        "How many people attended the printer upgrade?", "What is the price of a taxi ride?",
        "When does the boat to Crete leave?", "Who built the first radio telescope?",
        "How wide is Mount Kilimanjaro?"],
    lookup_t=["How much does {a} {item} cost at {title}?", "What is the price for {a} {item} at {title}?",
              "At {title}, what does {a} {item} cost?", "How much do I pay for {a} {item} at {title}?"],
    compare_t=["Which of the florists sells the {word} {item}?", "Which florist charges the {word} {item}?",
               "Which of our florists has the {word} {item}?"],
    count_t=["How many of the staff meetings mention the {topic}?", "How many meetings bring up the {topic}?",
             "In how many of the staff meetings is the {topic} brought up?"],
    adjacent_t=["What is said next, after the slide titled {title}?",
                "What does the speaker talk about after the slide named {title}?",
                "What is explained after the slide called {title}?"],
    long_t=["In which year did the first printed map of {thing} appear?",
            "According to the lecture, when was the first map of {thing} printed?"],
    train_talks={
        "waterfalls_talk": [
            ("Waterfalls", "Waterfalls form where a river drops over a hard ledge of rock."),
            ("Angel Falls", "Angel Falls in Venezuela drops about nine hundred eighty meters, the highest waterfall "
                            "on earth."),
            (None, "This photo shows a camera, used to film the spray of the falls at dawn."),
            ("Niagara Falls", "Samuel Clemens wrote about Niagara Falls, and its first bridge opened in 1848."),
        ],
        "islands_talk": [
            ("Islands", "Islands rise from the sea floor or break away from the land."),
            ("Madagascar", "Madagascar lies east of Africa and is about one thousand six hundred kilometers long."),
            (None, "This picture shows a pile of bricks from an old harbor wall."),
            ("Iceland", "Iceland sits on a ridge where two plates pull apart by a few centimeters each year."),
        ],
    },
    train_facts={
        "waterfalls_talk": [
            (("How tall is Angel Falls?", "What is the height of Angel Falls?"), ["980", "nine hundred eighty"]),
            (("Where is Angel Falls?",), ["venezuela"]),
            (("Who wrote about Niagara Falls?",), ["clemens"]),
            (("When did the first bridge at Niagara Falls open?",), ["1848"]),
        ],
        "islands_talk": [
            (("How long is Madagascar?", "What is the length of Madagascar?"),
             ["1,600", "1600", "one thousand six hundred", "sixteen hundred"]),
            (("Where does Madagascar lie?",), ["africa"]),
        ],
    },
    train_not_found=["How wide is Angel Falls?", "How tall is Madagascar?", "How deep is Niagara Falls?",
                     "How many days does a bridge at Niagara Falls take to build?",
                     # made up in round ask5: a fact of one train talk's thing asked of another thing
                     "When did the first bridge at Angel Falls open?", "Who wrote about Angel Falls?",
                     "How tall is Niagara Falls?", "How long is Iceland?",
                     "How many centimeters does Madagascar move each year?", "How long is the Suez Canal?",
                     "When did the Panama Canal open?", "In which country is Niagara Falls?"],
)

__all__ = ["BANK2"]
