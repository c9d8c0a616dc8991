"""Output languages and the labels our own code writes (headings, field names).

The model writes content in the output language; the labels around it come from here, so
they are always present, spelled the same way, and checkable by the guard.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str  # "en", "zh"
    name: str  # what we tell the model, e.g. "English", "Simplified Chinese"
    labels: dict[str, str]


_EN = {
    "summary": "Summary",
    "key_takeaways": "Key Takeaways",
    "basic_info": "Basic information",
    "title": "Title",
    "authors": "Authors",
    "affiliation": "Affiliation",
    "keywords": "Keywords",
    "urls": "Urls",
    "paper_link": "Paper",
    "code_link": "Code",
    "no_code": "none found in the paper",
    "overview": "Overview",
    "background": "Research background",
    "past_methods": "Past methods and their problems",
    "proposed_method": "Proposed method",
    "performance": "Tasks and performance",
    "methods": "Methods",
    "conclusion": "Conclusion",
    "significance": "Significance",
    "innovation": "Innovation",
    "performance_short": "Performance",
    "workload": "Workload",
    "published": "Published",
    "comment": "Comment",
    "shortened": "The paper is longer than this engine's context, so this part was written from a shortened text.",
    "offline_note": "Extractive summary made without a language model: every line is a sentence quoted from the paper, with its page.",
    "stage_failed": "This part could not be produced: {reason}",
    "guard_warning": "Check this part: {defects}",
    "figures": "Figures",
    "page": "p.",
    "not_stated": "not stated in the paper",
}

_ZH = {
    "summary": "摘要",
    "key_takeaways": "要点",
    "basic_info": "基本信息",
    "title": "标题",
    "authors": "作者",
    "affiliation": "第一作者单位",
    "keywords": "关键词",
    "urls": "链接",
    "paper_link": "论文",
    "code_link": "代码",
    "no_code": "论文中未给出",
    "overview": "概述",
    "background": "研究背景",
    "past_methods": "过去的方法及其问题",
    "proposed_method": "本文提出的方法",
    "performance": "任务与性能",
    "methods": "方法",
    "conclusion": "结论",
    "significance": "意义",
    "innovation": "创新点",
    "performance_short": "性能",
    "workload": "工作量",
    "published": "发表",
    "comment": "备注",
    "shortened": "论文长度超出该引擎的上下文，这一部分基于缩减后的原文生成。",
    "offline_note": "这是未使用语言模型的抽取式摘要：每一行都是论文原句，并注明页码。",
    "stage_failed": "这一部分未能生成：{reason}",
    "guard_warning": "请核对这一部分：{defects}",
    "figures": "论文图片",
    "page": "第",
    "not_stated": "论文中未说明",
}

LANGUAGES: dict[str, Language] = {
    "en": Language("en", "English", _EN),
    "zh": Language("zh", "Simplified Chinese", _ZH),
}

_ALIASES = {
    "english": "en",
    "en-us": "en",
    "en-gb": "en",
    "chinese": "zh",
    "中文": "zh",
    "简体中文": "zh",
    "zh-cn": "zh",
    "zh-hans": "zh",
    "cn": "zh",
}


def get_language(code_or_name: str | None) -> Language:
    """Our label set for a language; unknown languages get English labels and their own name.

    ``--lang ja`` still works: the model writes Japanese, the labels stay English.
    """
    if not code_or_name:
        return LANGUAGES["en"]
    key = code_or_name.strip().lower()
    key = _ALIASES.get(key, key)
    if key in LANGUAGES:
        return LANGUAGES[key]
    for language in LANGUAGES.values():  # the name we give models, e.g. "Simplified Chinese"
        if language.name.lower() == key:
            return language
    return Language(key, code_or_name.strip(), _EN)


def page_ref(lang: Language, page: int) -> str:
    """How a quoted sentence cites its page: "(p. 4)" or "（第4页）"."""
    if lang.code == "zh":
        return f"（第{page}页）"
    return f"(p. {page})"
