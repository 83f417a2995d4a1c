"""A third library from the templates of :mod:`bench.devset`, for tuning only: **every query is split "train"**,
so it never reports dev figures (``python -m bench.quality --variant tune --split dev`` refuses). It exists
because the two other libraries' train splits hold too few queries of the shapes their dev splits fail on
(English queries over foreign speech whose plain-recipe top 5 holds the truth; photo queries beside label
lists): other facts, other wording of the family and lecture scenes (a lecture on castles), four facts per
foreign video and two videos per language with an English and a native query for each (plus more English
wordings), and the same four photos (scikit-image ships no other that EfficientNet-Lite0 labels right) with
other queries. Written without reading either dev split's failures.
"""

from __future__ import annotations

LECTURE = ("lecture_castles.mp4", "Lecture: castles of Europe")

CAFES = [  # name, drink, price words, origin, slide-only line
    ("Copper", "matcha latte", "six dollars and twenty cents", "Rwanda", "Open mic on Thursdays"),
    ("Bluebird", "maple cold brew", "four dollars and thirty cents", "Costa Rica", "Dog friendly patio"),
    ("Lantern", "rose cappuccino", "five dollars and eighty cents", "Yemen", "Knitting circle Sundays"),
    ("Anchor", "salted caramel mocha", "three dollars and ninety cents", "Panama", "Free wifi password board"),
]
MEETINGS = [  # team, decision, deadline day, budget words, slide-only line
    ("operations", "switch the delivery vans to electric", "Thursday", "ninety thousand dollars",
     "Elevator inspection today"),
    ("product", "add a dark mode to the mobile app", "Wednesday", "fifteen thousand dollars",
     "Birthday cake in kitchen"),
    ("security", "require two factor login for every account", "Friday", "twenty two thousand dollars",
     "Badge reader replaced"),
    ("hiring", "interview graduates from the summer school", "Tuesday", "six thousand dollars",
     "Plant watering schedule"),
]
TALKS = [  # subject, finding, animal/object, count words, slide-only line
    ("wetlands", "the marsh stores more carbon than the forest", "a flock of herons", "nineteen",
     "Rubber boots drying room"),
    ("caves", "the stalactites grow one centimeter a century", "a colony of bats", "forty two",
     "Headlamp battery check"),
    ("savannas", "the grass fires renew the soil", "a herd of zebras", "sixty", "Jeep tire pressure log"),
    ("islands", "the lizards grew larger without predators", "a flock of puffins", "eighteen",
     "Ferry timetable posted"),
]
WORDING = {
    "cafe": ("Good morning from {name} cafe, the cosiest coffee house on the street.",
             "Today our {drink} is priced at {price}.", "The coffee we brew comes from small farms in {origin}.",
             "what does the {drink} cost", "coffee grown in {origin}"),
    "meeting": ("Hi all, this is the {team} team meeting for this week.",
                "The plan is to {decision}, and it is due on {day}.",
                "For this quarter the team has a budget of {budget}.",
                "plan to {decision}", "budget of the {team} team this quarter"),
    "talk": ("Thank you for joining this science talk on {subject}.",
             "What we found is that {finding}.", "In the field we observed {count} members of {animal}.",
             "{finding}", "number of {animals} observed"),
    "lecture": ("The {name} castle above {city} was finished in {year}, and its walls are made of {material}. "
                "Historians still study its towers, and visitors walk its walls in spring.",
                "Like the other castles in this lecture, the {name} castle once guarded the valley below it. "
                "Look closely at the slide and its drawing before we turn to the next castle.",
                "{name} Castle\n{city}", "{name} Castle\nBuilt by {architect}",
                "castle with walls made of {material}", "castle built by {architect}"),
    "lecture_train": ("castle finished in {year}", "castle above {city}"),
    "photo": "And here is one more picture from the album.",
}

PARAPHRASES = [  # narration, a query sharing no content word with it
    ("The fishermen brought home a huge tuna this morning.", "anglers returned with a giant catch at dawn"),
    ("Our village choir will sing at the cathedral on Easter.",
     "local singers perform in the big church during the spring holiday"),
    ("The pharmacy now delivers medicine to elderly customers.", "chemist brings pills to older shoppers"),
    ("A flood damaged the basement of the town archive.", "high water ruined the cellar of the records office"),
    ("Teenagers cleaned the beach after the summer festival.", "young people tidied the shore following the fair"),
    ("The bakery donated bread to the homeless shelter.", "pastry shop gave loaves to the refuge for rough sleepers"),
    ("The airport opened a second runway for cargo planes.", "terminal added another strip for freight jets"),
    ("Scientists spotted a rare owl in the northern woods.", "researchers saw an unusual bird in forests up north"),
    ("The marathon route passes through the old harbour.", "long race course goes by the historic port"),
    ("Our mayor promised cheaper bus tickets next year.", "city leader pledged lower fares for coaches soon"),
    ("A burst pipe flooded the school gymnasium.", "broken water main soaked the sports hall of the academy"),
    ("The theatre sold out every show of the comedy.", "playhouse had no seats left for the funny play"),
    ("Farmers protested against the new tractor tax.", "growers demonstrated over the farm vehicle levy"),
    ("The library added a recording studio for podcasts.", "book lending place built a sound booth for shows"),
    ("A wildfire forced hikers to leave the national park.", "blaze made walkers evacuate the protected reserve"),
]

BRIDGES = [  # (name, city, material): castles here; the builder is shown on the slide only
    ("Raven", "Edinburgh", "grey granite"), ("Eagle", "Salzburg", "white limestone"),
    ("Wolf", "Krakow", "red brick"), ("Lion", "Toledo", "sandstone blocks"), ("Bear", "Bern", "river stones"),
    ("Swan", "Bavaria", "plastered brick"), ("Hawk", "Carcassonne", "rough flint"), ("Stag", "Prague", "basalt"),
    ("Fox", "Cardiff", "slate"), ("Dragon", "Ljubljana", "oak timber"), ("Boar", "Segovia", "pink granite"),
    ("Owl", "Heidelberg", "red sandstone"), ("Lynx", "Vilnius", "clay bricks"), ("Crane", "Dubrovnik", "marble"),
    ("Otter", "Galway", "black limestone"),
]
ARCHITECTS = ["Montague", "Hoffmann", "Zielinski", "Ortega", "Aebischer", "Wagner", "Fournier", "Horak", "Griffiths",
              "Kovac", "Romero", "Schneider", "Kazlauskas", "Maric", "Flanagan"]
YEARS = ["ten sixty six", "eleven twenty", "eleven eighty", "twelve fifteen", "twelve seventy", "thirteen ten",
         "thirteen forty eight", "thirteen ninety", "fourteen twenty", "fourteen fifty three", "fourteen ninety two",
         "fifteen twenty", "fifteen sixty", "sixteen hundred", "sixteen forty"]

# More English wordings of some facts (all train, as is everything here).
CROSSLINGUAL_MORE = {
    ("german_hotel", 0): ("cost of one night in a double room", "double room rate per night"),
    ("german_zoo", 1): ("what time are the penguins fed", "penguin feeding time"),
    ("spanish_cinema", 2): ("cheap movie tickets on wednesday", "wednesday discount at the cinema"),
    ("spanish_gym", 3): ("does the gym have a pool", "swimming at the fitness centre"),
    ("french_market", 0): ("how much do the strawberries cost", "price of strawberries per kilo"),
    ("french_library", 3): ("can I borrow films from the library", "library lends DVDs"),
    ("mandarin_hotel", 1): ("is breakfast included in the room price", "free breakfast at the hotel"),
    ("mandarin_park", 2): ("boat rental on the lake", "can I rent a boat in the park"),
}

LANGS = [  # voice, file stem, [(narration, slide, english query, native query)]
    ("de", "german_hotel", [
        ("Ein Doppelzimmer kostet achtzig Euro pro Nacht.", "Doppelzimmer\nAchtzig Euro",
         "price of a double room", "was kostet ein Doppelzimmer"),
        ("Das Frühstück gibt es von sieben bis zehn Uhr.", "Frühstück\nSieben bis zehn",
         "what time is breakfast", "wann gibt es Frühstück"),
        ("Im Hotel sind Hunde erlaubt.", "Hunde willkommen", "are dogs allowed in the hotel",
         "darf ich meinen Hund mitbringen"),
        ("Der Parkplatz ist hinter dem Haus.", "Parkplatz hinten", "where can I park my car",
         "wo ist der Parkplatz"),
    ]),
    ("de", "german_zoo", [
        ("Der Zoo hat drei Elefanten aus Afrika.", "Drei Elefanten", "how many elephants does the zoo have",
         "wie viele Elefanten gibt es"),
        ("Die Pinguine werden um zwei Uhr gefüttert.", "Fütterung um zwei", "when are the penguins fed",
         "wann werden die Pinguine gefüttert"),
        ("Kinder unter sechs Jahren zahlen keinen Eintritt.", "Kinder frei", "free entry for small children",
         "Eintritt für kleine Kinder"),
        ("Das Aquarium wird im Winter renoviert.", "Aquarium geschlossen", "the aquarium is being renovated",
         "wann wird das Aquarium renoviert"),
    ]),
    ("es", "spanish_cinema", [
        ("La película empieza a las nueve de la noche.", "Sesión de las nueve", "what time does the film start",
         "a qué hora empieza la película"),
        ("Las palomitas grandes cuestan cinco euros.", "Palomitas cinco euros", "price of a large popcorn",
         "cuánto cuestan las palomitas"),
        ("Los miércoles la entrada cuesta la mitad.", "Miércoles mitad de precio", "half price tickets on wednesday",
         "entradas a mitad de precio"),
        ("La sala tres tiene pantalla gigante.", "Sala tres", "which room has the giant screen",
         "dónde está la pantalla gigante"),
    ]),
    ("es", "spanish_gym", [
        ("El gimnasio abre las veinticuatro horas.", "Abierto siempre", "is the gym open all night",
         "horario del gimnasio"),
        ("La cuota mensual es de treinta euros.", "Treinta euros al mes", "monthly fee of the gym",
         "cuánto cuesta el gimnasio al mes"),
        ("Las clases de yoga son los martes.", "Yoga los martes", "which day are the yoga classes",
         "qué día hay yoga"),
        ("Tenemos una piscina climatizada en el sótano.", "Piscina climatizada", "a heated pool in the basement",
         "piscina climatizada en el gimnasio"),
    ]),
    ("fr-fr", "french_market", [
        ("Les fraises coûtent quatre euros le kilo.", "Fraises\nQuatre euros", "price of a kilo of strawberries",
         "prix des fraises"),
        ("Le marché a lieu tous les dimanches matin.", "Dimanche matin", "which day is the market",
         "quel jour a lieu le marché"),
        ("Le fromager vend du comté de vingt mois.", "Comté vingt mois", "aged cheese from the cheese seller",
         "où acheter du comté"),
        ("Les fleurs sont moins chères à midi.", "Fleurs à midi", "cheaper flowers at noon",
         "quand les fleurs sont moins chères"),
    ]),
    ("fr-fr", "french_library", [
        ("La bibliothèque ferme à dix neuf heures.", "Fermeture dix neuf heures",
         "what time does the library close", "heure de fermeture de la bibliothèque"),
        ("On peut emprunter dix livres à la fois.", "Dix livres", "how many books can I borrow",
         "combien de livres peut on emprunter"),
        ("Le wifi est gratuit pour tous les lecteurs.", "Wifi gratuit", "free internet for readers",
         "wifi gratuit à la bibliothèque"),
        ("Nous prêtons aussi des films en DVD.", "Films en DVD", "they also lend movies",
         "prêt de films à la bibliothèque"),
    ]),
    ("cmn", "mandarin_hotel", [
        ("单人房每晚三百元。", "单人房三百元", "price of a single room per night", "单人房多少钱"),
        ("房价包括早餐。", "含早餐", "breakfast is included", "有没有早餐"),
        ("游泳池在顶楼。", "顶楼游泳池", "where is the swimming pool", "游泳池在哪里"),
        ("退房时间是中午十二点。", "中午十二点退房", "what time is checkout", "几点退房"),
    ]),
    ("cmn", "mandarin_park", [
        ("公园早上六点开门。", "早上六点开门", "when does the park open", "公园几点开门"),
        ("湖边有很多鸭子。", "湖边鸭子", "ducks by the lake", "湖边有什么"),
        ("可以在湖上租船。", "租船", "rent a boat on the lake", "在哪里租船"),
        ("公园里禁止烧烤。", "禁止烧烤", "is barbecue allowed in the park", "公园可以烧烤吗"),
    ]),
]

PHOTOS = [("coffee", ("cup of espresso", "coffee in a cup", "a small dark drink on a plate")),
          ("chelsea", ("tabby", "striped cat", "a pet with green eyes")),
          ("camera", ("camera on a tripod", "photographer with a camera", "old film camera on three legs")),
          ("rocket", ("rocket", "missile", "a launch tower with a rocket"))]
