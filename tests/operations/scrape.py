"""Reading a scrape of ``GET /metrics`` as a test needs it: each sample by name and labels."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


class Scrape(dict):
    """``{(sample name, ((label, value), ...)): value}``, plus the families' names."""

    families: set[str]

    def get_value(self, name: str, **labels) -> float:
        return self.get((name, tuple(sorted(labels.items()))), 0.0)

    def total(self, name: str, **labels) -> float:
        """The sum of every sample of ``name`` whose labels include ``labels``."""
        wanted = set(labels.items())
        return sum(v for (n, have), v in self.items() if n == name and wanted <= set(have))


def parse(text: str) -> Scrape:
    found = Scrape()
    found.families = set()
    for family in text_string_to_metric_families(text):
        # The parser gives a counter's family without its _total, as the format names it.
        found.families.add(family.name + ("_total" if family.type == "counter" else ""))
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def scrape(http, token: str | None = None) -> Scrape:
    """A scrape through the app's WSGI endpoint (werkzeug's test client)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return parse(response.get_data(as_text=True))
