"""How many rows each table gets at each named scale."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Scale:
    """Row targets for one scale; every count except the derived ones is exact."""

    name: str
    venues: int
    users: int
    bands: int
    events: int
    applications: int
    venue_availability: int
    band_availability: int
    member_availability: int

    @property
    def staffed_venues(self) -> int:
        """Venues with a manager and a staff member: a few hundred at L, at least two."""
        return min(300, max(2, self.venues // 16))

    @property
    def staff_users(self) -> int:
        """Users that sign in as venue staff (one manager and one staff per staffed venue)."""
        return 2 * self.staffed_venues

    def divided(self, name: str, by: int) -> Scale:
        """This scale with every count divided by ``by``."""
        counts = {f.name: getattr(self, f.name) // by for f in fields(self) if f.name != "name"}
        return Scale(name=name, **counts)


L = Scale(
    name="L",
    venues=5_000,
    users=300_000,
    bands=100_000,
    events=1_000_000,
    applications=3_000_000,
    venue_availability=5_000_000,
    band_availability=2_500_000,
    member_availability=2_500_000,
)

SCALES: dict[str, Scale] = {
    "XS": Scale(
        name="XS",
        venues=20,
        users=500,
        bands=200,
        events=2_000,
        applications=5_000,
        venue_availability=5_000,
        band_availability=2_500,
        member_availability=2_500,
    ),
    "S": L.divided("S", 100),
    "M": L.divided("M", 10),
    "L": L,
}
