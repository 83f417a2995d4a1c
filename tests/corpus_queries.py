"""Queries over the sample corpus (videokb.sample.CORPUS) with the scene each should find.

Speech queries paraphrase a scene's narration; on-screen-text queries use slide words that are never
spoken, so only OCR can find them. Keys are (video file stem, scene number from 0).
"""

SPEECH_QUERIES = [
    ("how much does the sourdough loaf cost", "bakery_tour", 0),
    ("old silver coins in the tip jar", "bakery_tour", 1),
    ("blueberry muffin price", "bakery_tour", 2),
    ("when did the city council meet", "city_council_meeting", 0),
    ("photographer with a camera on a tripod", "city_council_meeting", 1),
    ("money approved for the new park", "city_council_meeting", 2),
    ("chance of good weather for the launch", "rocket_launch_briefing", 0),
    ("white rocket standing on the launch pad", "rocket_launch_briefing", 1),
    ("how many days will the mission last", "rocket_launch_briefing", 2),
    ("adoption event at the animal shelter on Oak Street", "pet_adoption_day", 0),
    ("cat with green eyes waiting for a home", "pet_adoption_day", 1),
    ("how much is the adoption fee", "pet_adoption_day", 2),
    ("price of a coffee tasting ticket", "café tasting", 0),
    ("espresso cup on a saucer with a spoon", "café tasting", 1),
    ("where did the winning beans come from", "café tasting", 2),
]

OCR_QUERIES = [
    ("cinnamon rolls", "bakery_tour", 0),
    ("gluten free options", "bakery_tour", 2),
    ("public agenda", "city_council_meeting", 0),
    ("riverside playground", "city_council_meeting", 2),
    ("launch window opens", "rocket_launch_briefing", 0),
    ("docking on day 2", "rocket_launch_briefing", 2),
    ("free microchips", "pet_adoption_day", 0),
    ("puppy training class", "pet_adoption_day", 2),
    ("oat milk", "café tasting", 0),
    ("floral citrus notes", "café tasting", 2),
]
