"""Small vocabularies the generator combines into names, titles and places.

Everything here is plain ASCII without tabs, newlines or backslashes, so the generator can
write COPY text rows without escaping anything.
"""

from __future__ import annotations

# (IANA zone, cities in it). A handful of zones from UTC-8 to UTC+11 makes the venue-local
# time conversions and the "nights" of different venues overlap in UTC, as in real data.
ZONES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Europe/London", ("London", "Manchester", "Bristol", "Glasgow", "Leeds")),
    ("Europe/Berlin", ("Berlin", "Hamburg", "Munich", "Cologne", "Leipzig")),
    ("Europe/Paris", ("Paris", "Lyon", "Marseille", "Lille")),
    ("America/New_York", ("New York", "Boston", "Philadelphia", "Atlanta")),
    ("America/Chicago", ("Chicago", "Austin", "Nashville", "Minneapolis")),
    ("America/Los_Angeles", ("Los Angeles", "San Francisco", "Seattle", "Portland")),
    ("Asia/Tokyo", ("Tokyo", "Osaka", "Fukuoka")),
    ("Australia/Sydney", ("Sydney", "Newcastle", "Wollongong")),
)

FIRST_NAMES = (
    "Ada", "Ben", "Cara", "Dev", "Elif", "Finn", "Gala", "Hugo", "Ines", "Jon", "Kai",
    "Lena", "Marc", "Nora", "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Vic",
    "Wes", "Xia", "Yara", "Zane", "Aiko", "Bram", "Chloe", "Dario", "Emma", "Felix",
)  # fmt: skip
LAST_NAMES = (
    "Abbott", "Berg", "Costa", "Dietrich", "Evans", "Fischer", "Garcia", "Hayes", "Ito",
    "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Olsen", "Petrov", "Quist",
    "Rossi", "Schmidt", "Tanaka", "Umar", "Vogel", "Walsh", "Xu", "Young", "Zimmer",
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")

ADJECTIVES = (
    "Blue", "Velvet", "Electric", "Golden", "Silent", "Crimson", "Wild", "Neon", "Broken",
    "Midnight", "Iron", "Paper", "Lucky", "Hollow", "Bright", "Restless", "Copper", "Lunar",
    "Northern", "Secret", "Burning", "Glass", "Honey", "Rusty", "Static", "Violet",
)  # fmt: skip
NOUNS = (
    "Owls", "Harbour", "Foxes", "Engine", "Lanterns", "Tides", "Ravens", "Machines",
    "Orchard", "Signals", "Comets", "Saints", "Wolves", "Mirrors", "Rivers", "Ghosts",
    "Satellites", "Sparrows", "Giants", "Strangers", "Parade", "Circuit", "Echoes",
)  # fmt: skip
VENUE_KINDS = ("Room", "Club", "Hall", "Cellar", "Lounge", "Ballroom", "Theatre", "Bar")
STREETS = (
    "High Street", "Station Road", "Market Square", "Canal Street", "Mill Lane",
    "Church Road", "Harbour Way", "Park Avenue", "King Street", "Bridge Road",
)  # fmt: skip
GENRES = (
    "rock", "indie", "jazz", "folk", "punk", "electronic", "blues", "metal", "soul",
    "hip hop", "pop", "country", "funk", "ambient", "reggae",
)  # fmt: skip
INSTRUMENTS = ("vocals", "guitar", "bass", "drums", "keys", "saxophone", "violin", "synth")
EVENT_KINDS = (
    "Live", "Album Launch", "Late Show", "Residency", "Showcase", "Tour", "Acoustic Set",
    "Club Night", "Double Bill", "Festival Warm-up",
)  # fmt: skip
MESSAGES = (
    "We would love to play this night.",
    "Available with full backline.",
    "Happy to open for the headliner.",
    "Touring nearby that week.",
    "Can bring our own sound engineer.",
)
AVAILABILITY_NOTES = ("tour", "studio", "holiday", "rehearsal", "private booking")
