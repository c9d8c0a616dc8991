"""The digest's site: posts in ``posts/``, an Atom ``feed.xml`` and an ``index.html``.

Both files are rebuilt from the posts alone, with dates taken from the posts, so writing
them again for the same posts gives the same bytes (a rerun of a day changes nothing).
"""

from __future__ import annotations

import html
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

FEED_NAMESPACE = uuid.UUID("6f1c3c43-4bde-4a4e-9d0c-3a8b55b1b2f1")  # IDs: uuid5(this, file name)


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class PostInfo:
    file: str  # "2024-02-05-diffusion-models.md"
    title: str
    date: str  # "2024-02-05"
    description: str

    @property
    def entry_id(self) -> str:
        return f"urn:uuid:{uuid.uuid5(FEED_NAMESPACE, self.file)}"


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        import json

        try:
            return str(json.loads(value))
        except ValueError:
            return value[1:-1]
    return value


def read_post_info(path: Path) -> PostInfo:
    """Title, date and description from a post's front matter (the lines we wrote)."""
    fields: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    if lines and lines[0] == "---":
        for line in lines[1:200]:
            if line == "---":
                break
            key, sep, value = line.partition(": ")
            if sep and not line.startswith(" "):
                fields[key] = _unquote(value)
    day = fields.get("date", path.name[:10])[:10]
    return PostInfo(path.name, fields.get("title", path.stem), day, fields.get("description", ""))


def list_posts(posts_dir: Path) -> list[PostInfo]:
    """Every post, newest first (then by file name, for a stable order)."""
    posts = (
        [read_post_info(p) for p in sorted(posts_dir.glob("*.md"))] if posts_dir.is_dir() else []
    )
    posts.sort(key=lambda p: p.file)
    posts.sort(key=lambda p: p.date, reverse=True)
    return posts


def render_feed(posts: list[PostInfo], *, title: str, site_url: str = "") -> str:
    """Atom 1.0: one entry per post, IDs that never change for a post."""
    base = site_url.rstrip("/") + "/" if site_url else ""
    updated = f"{posts[0].date}T00:00:00Z" if posts else "1970-01-01T00:00:00Z"
    feed_id = f"urn:uuid:{uuid.uuid5(FEED_NAMESPACE, 'feed:' + (site_url or title))}"
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"  <title>{escape(title)}</title>",
        f"  <id>{feed_id}</id>",
        f"  <updated>{updated}</updated>",
        "  <author><name>chatpaper</name></author>",
        f'  <link rel="alternate" href="{escape(base + "index.html")}"/>',
    ]
    for post in posts:
        out += [
            "  <entry>",
            f"    <title>{escape(post.title)} ({post.date})</title>",
            f"    <id>{post.entry_id}</id>",
            f"    <updated>{post.date}T00:00:00Z</updated>",
            f'    <link rel="alternate" href="{escape(base + "posts/" + post.file)}"/>',
            f"    <summary>{escape(post.description)}</summary>",
            "  </entry>",
        ]
    out.append("</feed>")
    return "\n".join(out) + "\n"


def render_index(posts: list[PostInfo], *, title: str) -> str:
    items = "\n".join(
        f"    <li><time>{html.escape(p.date)}</time> "
        f'<a href="posts/{html.escape(p.file, quote=True)}">{html.escape(p.title)}</a>'
        f"<br><small>{html.escape(p.description)}</small></li>"
        for p in posts
    )
    return (
        '<!doctype html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n"
        '<link rel="alternate" type="application/atom+xml" href="feed.xml">\n'
        "</head>\n<body>\n"
        f"  <h1>{html.escape(title)}</h1>\n  <ul>\n{items}\n  </ul>\n</body>\n</html>\n"
    )


def write_site(out_dir: Path, *, title: str = "chatpaper digest", site_url: str = "") -> int:
    """Rebuild feed.xml and index.html from out_dir/posts; returns the number of posts."""
    posts = list_posts(out_dir / "posts")
    for name, text in (
        ("feed.xml", render_feed(posts, title=title, site_url=site_url)),
        ("index.html", render_index(posts, title=title)),
    ):
        path = out_dir / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            write_atomically(path, text)
    return len(posts)
