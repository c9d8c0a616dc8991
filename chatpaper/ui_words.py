"""The app's own words, in English and Chinese: labels for Gradio's i18n, and the status lines
the server writes while a summary runs.

Pure data and functions (no Gradio here): the labels are handed to ``gr.I18n`` by ui.py, so
the browser's locale picks them; the status lines follow the same locale, read from the
request's ``Accept-Language``. The status names the step in a researcher's words ("Writing
the methods…"), never our stage keys, with the time since the click.
"""

from __future__ import annotations

from collections.abc import Sequence

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "tagline": "Paste an arXiv link or upload a PDF: a structured summary with checked page "
        "references streams in, part by part.",
        "tab_summarize": "Summarize",
        "tab_digest": "Digest",
        "arxiv_label": "arXiv ID or link",
        "arxiv_placeholder": "2402.00864 or https://arxiv.org/abs/2402.00864",
        "pdf_label": "…or upload a PDF",
        "language_label": "Output language",
        "options": "Engine and options",
        "engine_label": "Engine",
        "model_label": "Model (optional)",
        "key_label": "Your Gemini API key (optional, used for this request only)",
        "key_placeholder": "leave empty to use the server's key",
        "fresh_label": "Fresh run (ignore the results cache)",
        "pages_label": "Show page references (claims are checked either way)",
        "summarize": "Summarize",
        "examples": "Examples",
        "how_it_works": "How it works",
        "ready": "Paste an arXiv link or upload a PDF, then press Summarize.",
        "figures": "Figures",
        "download_md": "Download .md",
        "download_zip": "Download .zip (with figures)",
        "copy_all": "Copy all",
        "copy_part": "Copy this part",
        "retry_part": "Retry this part",
        "ask_heading": "Ask about this paper",
        "ask_placeholder": "e.g. Which datasets do they evaluate on?",
        "ask_chat_placeholder": "Ask a follow-up question once the paper is read: answers "
        "quote the paper with its pages.",
        "ask_send": "Ask",
        "digest_topic": "Topic",
        "digest_category": "arXiv category (optional)",
        "digest_date": "Date (YYYY-MM-DD, UTC)",
        "digest_count": "Papers (newest first)",
        "digest_language": "Language",
        "digest_deep": "Full structured summaries from the PDFs (4 model calls per paper)",
        "digest_run": "Write the digest",
        "digest_ready": "Give a topic, then press Write the digest.",
        "digest_download": "Download the post (.md)",
    },
    "zh": {
        "tagline": "粘贴 arXiv 链接或上传 PDF：带有已核对页码引用的结构化总结会逐部分流式生成。",
        "tab_summarize": "总结论文",
        "tab_digest": "每日速递",
        "arxiv_label": "arXiv 编号或链接",
        "arxiv_placeholder": "2402.00864 或 https://arxiv.org/abs/2402.00864",
        "pdf_label": "……或上传 PDF",
        "language_label": "输出语言",
        "options": "引擎与选项",
        "engine_label": "引擎",
        "model_label": "模型（可选）",
        "key_label": "你的 Gemini API 密钥（可选，仅用于本次请求）",
        "key_placeholder": "留空则使用服务器的密钥",
        "fresh_label": "重新生成（不使用结果缓存）",
        "pages_label": "显示页码引用（无论是否显示都会核对）",
        "summarize": "开始总结",
        "examples": "示例",
        "how_it_works": "工作原理",
        "ready": "粘贴 arXiv 链接或上传 PDF，然后点击“开始总结”。",
        "figures": "论文图片",
        "download_md": "下载 .md",
        "download_zip": "下载 .zip（含图表）",
        "copy_all": "复制全部",
        "copy_part": "复制这一部分",
        "retry_part": "重试这一部分",
        "ask_heading": "就这篇论文提问",
        "ask_placeholder": "例如：他们在哪些数据集上做了评测？",
        "ask_chat_placeholder": "论文读取后即可追问：回答会引用论文原文及其页码。",
        "ask_send": "提问",
        "digest_topic": "主题",
        "digest_category": "arXiv 分类（可选）",
        "digest_date": "日期（YYYY-MM-DD，UTC）",
        "digest_count": "论文数量（最新优先）",
        "digest_language": "语言",
        "digest_deep": "根据 PDF 写完整的结构化总结（每篇 4 次模型调用）",
        "digest_run": "生成速递",
        "digest_ready": "填写主题，然后点击“生成速递”。",
        "digest_download": "下载文章（.md）",
    },
}

# Status lines: {id}, {name}, {pages}, {parts}, {done}, {total}, {seconds}, {engine} are filled in.
STATUS: dict[str, dict[str, str]] = {
    "en": {
        "fetching": "Fetching {id} from arXiv…",
        "reading_file": "Reading {name}…",
        "read": "Read {pages} pages.",
        "starting": "Starting…",
        "writing": "Writing {parts}…",
        "and": " and ",
        "parts_done": "{done} of {total} parts done",
        "from_cache": "Taking the summary from the results cache…",
        "finished": "Finished in {seconds} with {engine}.",
        "finished_cached": "Finished in {seconds} with {engine} (from the results cache).",
        "parts_failed": "{count} part(s) failed: press “Retry this part” under it.",
        "all_failed": "The summary failed: {reason}",
        "retrying": "Retrying {part}…",
        "retried": "{part} written again in {seconds}.",
        "page": "p. {page}",
        "need_source": "Paste an arXiv link or ID (such as 2402.00864) or upload a PDF first.",
    },
    "zh": {
        "fetching": "正在从 arXiv 获取 {id}…",
        "reading_file": "正在读取 {name}…",
        "read": "已读取 {pages} 页。",
        "starting": "正在开始…",
        "writing": "正在撰写{parts}…",
        "and": "、",
        "parts_done": "{done}/{total} 部分已写好",
        "from_cache": "正在从结果缓存中取出总结…",
        "finished": "总结完成：用时 {seconds}，引擎 {engine}。",
        "finished_cached": "总结完成：用时 {seconds}，引擎 {engine}（来自结果缓存）。",
        "parts_failed": "{count} 个部分失败：点击该部分下方的“重试这一部分”。",
        "all_failed": "总结失败：{reason}",
        "retrying": "正在重试{part}…",
        "retried": "{part}已重新生成，耗时 {seconds}。",
        "page": "第 {page} 页",
        "need_source": "请先粘贴 arXiv 链接或编号（例如 2402.00864），或上传一个 PDF。",
    },
}

# What each stage is called in a sentence ("Writing the methods…").
PART_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "tldr": "the summary",
        "overview": "the overview",
        "methods": "the methods",
        "conclusion": "the conclusion",
    },
    "zh": {"tldr": "摘要", "overview": "概述", "methods": "方法", "conclusion": "结论"},
}


def ui_language(accept_language: str | None) -> str:
    """ "zh" when the browser prefers Chinese (``zh``, ``zh-CN``, ``zh-TW``…), else "en":
    the first language of the ``Accept-Language`` header decides."""
    first = (accept_language or "").split(",", 1)[0].strip().lower()
    return "zh" if first.startswith("zh") else "en"


def status_text(lang: str, key: str, **values: object) -> str:
    table = STATUS.get(lang, STATUS["en"])
    return table[key].format(**values)


def part_name(lang: str, stage: str) -> str:
    return PART_NAMES.get(lang, PART_NAMES["en"]).get(stage, stage)


def seconds(value: float) -> str:
    """ "0.4 s", "12 s", "2 min 05 s": precise while short, readable when long."""
    if value < 10:
        return f"{value:.1f} s"
    if value < 60:
        return f"{value:.0f} s"
    minutes, rest = divmod(round(value), 60)
    return f"{minutes} min {rest:02d} s"


def writing_status(lang: str, running: Sequence[str], done: int, total: int, elapsed: float) -> str:
    """ "Writing the methods and the conclusion… · 2 of 4 parts done · 6.1 s"."""
    names = [part_name(lang, stage) for stage in running]
    joiner = status_text(lang, "and")
    if lang == "en" and len(names) > 2:
        parts = ", ".join(names[:-1]) + " and " + names[-1]
    else:
        parts = joiner.join(names)
    pieces = [status_text(lang, "writing", parts=parts)] if names else []
    pieces.append(status_text(lang, "parts_done", done=done, total=total))
    pieces.append(seconds(elapsed))
    return " · ".join(pieces)
