"""A second dev library from the templates of :mod:`bench.devset`: other facts, other wording of the family and
lecture scenes and queries, other sentences in each language, other queries for the photos (scikit-image
ships no other photo that EfficientNet-Lite0 labels right, so the four photos are the same, in another
order). Written after the first library had been read for two tuning sessions, and never tuned on: its
figures say how far the fitted settings carry to a library nobody looked at.
"""

from __future__ import annotations

LECTURE = ("lecture_lighthouses.mp4", "Lecture: lighthouses of the world")

CAFES = [  # name, drink, price words, origin, slide-only line
    ("Juniper", "ginger chai", "three dollars and forty cents", "Peru", "Vinyl record corner"),
    ("Lighthouse", "coconut flat white", "five dollars and fifty cents", "Brazil", "Sunflower mural wall"),
    ("Orchard", "pistachio macchiato", "four dollars and ninety cents", "Honduras", "Board game shelf"),
    ("Riverside", "caramel americano", "two dollars and seventy cents", "Sumatra", "Bicycle rack outside"),
]
MEETINGS = [  # team, decision, deadline day, budget words, slide-only line
    ("finance", "move the payroll system to the cloud", "Wednesday", "sixty thousand dollars", "Fire drill at noon"),
    ("legal", "rewrite the privacy policy in plain language", "Tuesday", "nine thousand dollars",
     "Coffee machine broken"),
    ("research", "build a robot that sorts recycling", "Friday", "thirty thousand dollars",
     "Visitor badges expired"),
    ("training", "teach every new hire first aid", "Monday", "seven thousand dollars", "Lost umbrella at reception"),
]
TALKS = [  # subject, finding, animal/object, count words, slide-only line
    ("rainforests", "the canopy holds half of all insect species", "a troop of howler monkeys", "fourteen",
     "Mosquito net inventory"),
    ("oceans", "the deep water warmed faster than the surface", "a pod of dolphins", "nine",
     "Sonar buoy maintenance"),
    ("mountains", "the tree line climbed two hundred meters", "a herd of mountain goats", "twenty six",
     "Altitude sickness kit"),
    ("rivers", "the delta shrank after the dam was built", "a colony of beavers", "thirteen",
     "Canoe paddle storage"),
]
WORDING = {
    "cafe": ("Hello and welcome to {name} cafe, the friendliest coffee shop in town.",
             "Here the {drink} is sold for {price}.", "We buy our coffee beans directly from growers in {origin}.",
             "how much is the {drink}", "cafe with beans from {origin}"),
    "meeting": ("Welcome to the {team} team meeting; the whole team joined today.",
                "We agreed to {decision}, and it must be finished by {day}.",
                "This quarter the team may spend {budget}.",
                "agreed to {decision}", "how much can the {team} team spend this quarter"),
    "talk": ("Hello everyone, today's science talk is about {subject}.",
             "The key result of our study is that {finding}.", "On the expedition we saw {count} members of {animal}.",
             "{finding}", "how many {animals} were seen"),
    "lecture": ("The {name} lighthouse near {city} was first lit in {year}, and its tower is made of {material}. "
                "Sailors still rely on its beam, and visitors climb its stairs in summer.",
                "Like the other lighthouses in this talk, the {name} lighthouse guides ships past the rocks at "
                "night. Study the slide and its picture before we move on to the next lighthouse.",
                "{name} Lighthouse\n{city}", "{name} Lighthouse\nKeeper {architect}",
                "lighthouse made of {material}", "lighthouse kept by {architect}"),
    "lecture_train": ("lighthouse first lit in {year}", "lighthouse near {city}"),
    "photo": "This is another photo from our collection.",
}

PARAPHRASES = [  # narration, a query sharing no content word with it
    ("The baker sells fresh croissants before sunrise.", "pastry shop offers warm rolls at dawn"),
    ("Our neighbourhood park gets new benches next spring.", "local green space receives seating in the coming season"),
    ("The hospital hired twenty nurses in January.", "medical center employed caregivers at the start of the year"),
    ("A lorry overturned on the motorway near the bridge.", "truck flipped on the highway close to the overpass"),
    ("Students painted a mural on the school wall.", "pupils decorated the classroom building with artwork"),
    ("The cinema shows silent films on Sunday afternoons.",
     "movie theater screens old pictures without sound at the weekend"),
    ("The town council raised parking fees downtown.", "city officials increased car space charges in the center"),
    ("A heatwave dried up the village reservoir.", "hot spell emptied the local water supply lake"),
    ("Our football club won the regional championship.", "soccer team took the area title"),
    ("The post office will stop Saturday deliveries.", "mail service ends weekend drop offs"),
    ("Engineers repaired the broken elevator in the tower.", "technicians fixed the faulty lift in the high rise"),
    ("The zoo welcomed a baby giraffe last week.", "animal park greeted a newborn long necked calf recently"),
    ("Residents complained about noisy construction at night.", "locals grumbled over loud building work after dark"),
    ("The ferry to the island was cancelled because of fog.", "boat trip to the isle called off due to mist"),
    ("A local author signed copies of her novel at the bookstore.",
     "nearby writer autographed her fiction in the shop"),
]

BRIDGES = [  # (name, place, material): lighthouses here; the keeper is shown on the slide only
    ("North Star", "Bergen", "white limestone"), ("Gull", "Brest", "red sandstone"),
    ("Beacon", "Halifax", "cast iron plates"), ("Anchor", "Cork", "granite"), ("Pelican", "Lagos", "painted brick"),
    ("Compass", "Hobart", "concrete rings"), ("Seal", "Reykjavik", "basalt"), ("Tide", "Gdansk", "yellow brick"),
    ("Storm", "Boston", "wrought iron"), ("Dolphin", "Naples", "white marble"), ("Puffin", "Aberdeen", "timber"),
    ("Mariner", "Cape Town", "steel lattice"), ("Osprey", "Tallinn", "fieldstone"),
    ("Albatross", "Valparaiso", "adobe"), ("Heron", "Hamburg", "glass blocks"),
]
ARCHITECTS = ["Whitaker", "Moreno", "Schulz", "Nakamura", "Obi", "Larsen", "Duarte", "Keller", "Ivanova", "Murphy",
              "Santos", "Berg", "Laurent", "Nowak", "Vargas"]
YEARS = ["eighteen seventy", "eighteen eighty five", "nineteen hundred", "nineteen ten", "nineteen twenty two",
         "nineteen thirty six", "nineteen forty one", "nineteen fifty", "nineteen sixty three", "nineteen seventy",
         "nineteen seventy nine", "nineteen eighty six", "nineteen ninety", "two thousand two", "two thousand nine"]

# Train-only English queries (bench/devset.py CROSSLINGUAL_MORE): more wordings of the train facts.
CROSSLINGUAL_MORE = {
    ("german_garage", 0): ("how much is an oil change", "cost of changing the engine oil"),
    ("spanish_clinic", 1): ("flu vaccine at no charge", "do I pay for the flu jab"),
    ("french_bakery", 2): ("butter croissants", "what are the croissants made with"),
    ("mandarin_noodles", 0): ("how much is the beef noodle soup", "cost of one bowl of noodles with beef"),
    ("mandarin_noodles", 2): ("the chef comes from Sichuan", "which province is the chef from"),
    ("german_pool", 2): ("sauna opening hours", "can I use the sauna in the evening"),
    ("spanish_bookshop", 1): ("price of a novel at the bookshop", "novels for ten euros"),
    ("french_museum", 2): ("is photography allowed in the gallery", "taking pictures is forbidden in the gallery"),
}

LANGS = [  # voice, file stem, [(narration, slide, english query, native query)]
    ("de", "german_garage", [
        ("Der Ölwechsel kostet fünfzig Euro.", "Ölwechsel\nFünfzig Euro", "price of an oil change",
         "was kostet der Ölwechsel"),
        ("Die Werkstatt ist samstags geschlossen.", "Samstags geschlossen", "is the garage open on saturday",
         "wann ist die Werkstatt zu"),
        ("Wir reparieren auch Fahrräder und Roller.", "Fahrräder und Roller", "they also fix bikes and scooters",
         "reparieren Sie Fahrräder"),
    ]),
    ("es", "spanish_clinic", [
        ("La clínica abre a las ocho de la mañana.", "Abrimos a las ocho", "when does the clinic open",
         "a qué hora abre la clínica"),
        ("La vacuna contra la gripe es gratis.", "Vacuna gratis", "free flu shot", "vacuna gratuita contra la gripe"),
        ("El dentista atiende los jueves.", "Dentista los jueves", "which day is the dentist in",
         "qué día viene el dentista"),
    ]),
    ("fr-fr", "french_bakery", [
        ("La baguette coûte un euro vingt.", "Baguette\nUn euro vingt", "price of a baguette", "prix de la baguette"),
        ("La boulangerie ferme le mercredi.", "Fermé le mercredi", "which day is the bakery closed",
         "quel jour la boulangerie est fermée"),
        ("Nos croissants sont faits au beurre.", "Croissants au beurre", "croissants made with butter",
         "croissants au beurre"),
    ]),
    ("cmn", "mandarin_noodles", [
        ("牛肉面每碗二十元。", "牛肉面二十元", "price of a bowl of beef noodles", "牛肉面多少钱"),
        ("面馆晚上十点关门。", "晚上十点关门", "when does the noodle shop close", "面馆几点关门"),
        ("厨师来自四川。", "四川厨师", "where is the cook from", "厨师是哪里人"),
    ]),
    ("de", "german_pool", [
        ("Das Schwimmbad hat ein Becken für Kinder.", "Kinderbecken", "a pool for children", "Becken für Kinder"),
        ("Der Eintritt kostet vier Euro.", "Eintritt vier Euro", "how much is admission to the swimming pool",
         "Preis für den Eintritt"),
        ("Die Sauna ist nur am Abend geöffnet.", "Sauna am Abend", "when is the sauna open",
         "wann ist die Sauna offen"),
    ]),
    ("es", "spanish_bookshop", [
        ("La librería vende mapas antiguos de Sevilla.", "Mapas antiguos", "old maps of Seville",
         "mapas antiguos de Sevilla"),
        ("Cada novela cuesta diez euros.", "Novelas diez euros", "how much does a novel cost", "precio de una novela"),
        ("Los niños leen cuentos los domingos.", "Cuentos para niños", "story time for kids on sunday",
         "cuentos para niños el domingo"),
    ]),
    ("fr-fr", "french_museum", [
        ("Le musée expose des tableaux de Monet.", "Tableaux de Monet", "paintings by Monet",
         "où voir les tableaux de Monet"),
        ("La visite guidée dure une heure.", "Visite guidée", "how long is the guided tour",
         "durée de la visite guidée"),
        ("Les photos sont interdites dans la galerie.", "Photos interdites", "no photos in the gallery",
         "photos interdites dans la galerie"),
    ]),
    ("cmn", "mandarin_station", [
        ("去上海的火车每小时一班。", "上海每小时一班", "how often do trains go to Shanghai",
         "去上海的火车多久一班"),
        ("售票处在二楼。", "售票处二楼", "where is the ticket office", "售票处在哪里"),
        ("候车室有免费热水。", "免费热水", "free hot water in the waiting room", "候车室有热水吗"),
    ]),
]

PHOTOS = [("rocket", ("projectile", "launch vehicle", "a vessel that flies to orbit")),
          ("camera", ("camera tripod", "three legged stand", "support that holds a camera steady")),
          ("chelsea", ("egyptian cat", "a house cat", "furry animal with whiskers resting")),
          ("coffee", ("espresso", "small coffee", "a warm beverage in a cup"))]
