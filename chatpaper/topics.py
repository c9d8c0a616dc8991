"""Topics of a daily digest, read from one TOML file (``[[topic]]`` tables).

[[topic]]
name = "Diffusion Models"
query = "diffusion"
categories = ["cs.CV", "cs.LG"]
must = ["sampling"]          # every paper must mention these (title or abstract)
exclude = ["survey"]         # papers that mention these are dropped
authors = ["Jane Doe"]       # papers by these authors rank first
max = 10
lang = "zh"
engine = "gemini"            # default: the configured default engine
deep = false                 # true: read each PDF for the full structured summary
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from .errors import InvalidSourceError

MAX_TOPICS = 50
MAX_PER_TOPIC = 200
_KNOWN = {"name", "query", "categories", "must", "exclude", "authors", "max", "lang", "engine"}
_KNOWN |= {"deep", "model"}


@dataclass(frozen=True)
class Topic:
    name: str
    query: str
    categories: tuple[str, ...] = ()
    must: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    max: int = 10
    lang: str = "en"
    engine: str | None = None
    model: str | None = None
    deep: bool = False

    @property
    def slug(self) -> str:
        """A file-name-safe, stable name for the topic's posts."""
        slug = re.sub(r"[^\w]+", "-", self.name.strip().lower(), flags=re.ASCII).strip("-")
        return slug[:60] or "topic"


def _strings(table: dict, key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidSourceError(f"{where}: '{key}' must be a list of strings.")
    return tuple(v.strip() for v in value if v.strip())


def parse_topics(text: str, *, source: str = "the topics file") -> list[Topic]:
    """Topics from TOML text; a mistake is one sentence naming the topic and the field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InvalidSourceError(f"{source} is not valid TOML ({err}).") from None
    tables = data.get("topic")
    if not isinstance(tables, list) or not tables:
        raise InvalidSourceError(f"{source} has no [[topic]] table; see the README for one.")
    if len(tables) > MAX_TOPICS:
        raise InvalidSourceError(f"{source} has {len(tables)} topics; at most {MAX_TOPICS}.")
    topics: list[Topic] = []
    for number, table in enumerate(tables, start=1):
        where = f"{source}, topic {number}"
        unknown = sorted(set(table) - _KNOWN)
        if unknown:
            raise InvalidSourceError(f"{where}: unknown field '{unknown[0]}'.")
        name = str(table.get("name", "")).strip()
        query = str(table.get("query", name)).strip()
        if not name or not query:
            raise InvalidSourceError(f"{where}: give it a name (and a query).")
        count = table.get("max", 10)
        if not isinstance(count, int) or not 1 <= count <= MAX_PER_TOPIC:
            raise InvalidSourceError(f"{where}: 'max' must be 1 to {MAX_PER_TOPIC}.")
        topics.append(
            Topic(
                name=name,
                query=query,
                categories=_strings(table, "categories", where),
                must=_strings(table, "must", where),
                exclude=_strings(table, "exclude", where),
                authors=_strings(table, "authors", where),
                max=count,
                lang=str(table.get("lang", "en")),
                engine=table.get("engine") or None,
                model=table.get("model") or None,
                deep=bool(table.get("deep", False)),
            )
        )
    slugs = [t.slug for t in topics]
    if len(set(slugs)) != len(slugs):
        raise InvalidSourceError(f"{source}: two topics have the same name.")
    return topics


def load_topics(path: Path) -> list[Topic]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InvalidSourceError(f"Cannot read {path} ({err}); check the path.") from None
    return parse_topics(text, source=str(path))
