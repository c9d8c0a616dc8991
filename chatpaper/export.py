"""Writing a summary to disk: the .md alone, or with its figures in an images folder/.zip."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from .i18n import Language
from .paper import Figure
from .render import escape_html


def caption_line(figure: Figure, lang: Language) -> str:
    """ "p. 3: Figure 2: ..." (中文: "第 3 页：Figure 2: ..."): the same under a figure in the
    app and in the download."""
    caption = " ".join((figure.caption or "").split())
    if lang.code == "zh":
        return f"第 {figure.page} 页：{caption}".rstrip("：")
    return f"p. {figure.page}: {caption}".strip(": ")


def figures_markdown(
    figures: list[Figure], paths: list[Path], folder_name: str, lang: Language
) -> str:
    """A Figures section linking the saved images, each with its page and whole caption
    underneath, as the app shows them ("p. 3: Figure 2: ..."); the alt text is the label."""
    lines = [f"## {lang.labels['figures']}", ""]
    for figure, path in zip(figures, paths, strict=True):
        caption = " ".join((figure.caption or "").split())
        label = _LABEL.match(caption)
        alt = _escape_inline(label.group(0) if label else f"p. {figure.page}")
        lines.append(f"![{alt}]({folder_name}/{path.name})")
        lines.append("")
        lines.append(_escape_inline(caption_line(figure, lang)))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# "Figure 2", "Fig. 3", "图 4": what the alt text of a figure's image says.
_LABEL = re.compile(r"(?:Figure|FIGURE|Fig\.|FIG\.|Fig|图)\s*\d{1,3}")


def _escape_inline(text: str) -> str:
    """A caption as text: no HTML, no Markdown emphasis, link or image syntax."""
    return re.sub(r"([\\`*_\[\]])", r"\\\1", escape_html(text))


def write_summary(
    markdown: str, md_path: Path, figures: list[Figure], lang: Language
) -> list[Path]:
    """Write ``md_path`` (and ``<stem>_images/`` when there are figures); return all files."""
    md_path = Path(md_path)
    md_path.parent.mkdir(parents=True, exist_ok=True)
    if not figures:
        md_path.write_text(markdown, encoding="utf-8")
        return [md_path]
    from .figures import save_figures

    image_dir = md_path.with_name(f"{md_path.stem}_images")
    paths = save_figures(figures, image_dir, md_path.stem)
    text = markdown.rstrip() + "\n\n" + figures_markdown(figures, paths, image_dir.name, lang)
    md_path.write_text(text, encoding="utf-8")
    return [md_path, *paths]


def zip_files(files: list[Path], zip_path: Path, root: Path) -> Path:
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(root).as_posix())
    return zip_path
