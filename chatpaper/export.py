"""Writing a summary to disk: the .md alone, or with its figures in an images folder/.zip."""

from __future__ import annotations

import zipfile
from pathlib import Path

from .i18n import Language
from .paper import Figure


def figures_markdown(
    figures: list[Figure], paths: list[Path], folder_name: str, lang: Language
) -> str:
    """A Figures section linking the saved images, each with its page and caption."""
    lines = [f"## {lang.labels['figures']}", ""]
    for figure, path in zip(figures, paths, strict=True):
        caption = (figure.caption or "").replace("]", ")").replace("[", "(")
        lines.append(f"![p. {figure.page}: {caption}]({folder_name}/{path.name})")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


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
