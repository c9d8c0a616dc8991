"""The output guard: find the defects the tool we replace shipped, so we never repeat them.

ChatPaperFree published answers with template slots ("xxx"), invented or missing links, the
prompt echoed back, chatter addressed to the user ("希望以上总结符合您的要求！"), and the same
paper twice in one post. The pipeline runs :func:`find_defects` on every stage answer and asks
the model once more with :func:`corrective_instruction` when something is wrong; ``python -m
chatpaper check FILE`` runs :func:`check_document` over a whole summary or digest post.

Defect kinds (stable strings; tests, the CLI's ``--json`` and the UI rely on them):

``template_slot``
    A slot of the prompt template left unfilled: "xxx"/"XXXX", "张XX", "（此处请填写…）",
    "[Insert …]", "<your answer>", "待补充". ("{title}" is not one: papers about LLMs quote
    their own prompt templates.)
``placeholder_link``
    A link slot without a real link: "xxx", "(链接文章)", "[论文链接](链接地址)", "http://xxx",
    "此处无法填写", a paper link given as "None", a link line with no URL at all, or an arXiv
    link that is not the paper's own (an invented link).
``chatter``
    Words addressed to the user instead of content: "希望以上总结符合您的要求", "以上内容仅供
    参考", "请让我知道", "I hope this helps", "Let me know if…", "Sure! Here is…", "As an AI
    language model".
``echoed_instructions``
    The prompt's instructions copied into the answer: "严格按照格式要求输出", "使用简洁、学术化
    的语句", "请根据实际情况填写", "Be sure to strictly follow the format".
``method_error``
    ChatPaperFree's "Some Error for method(比如是不是没有Methods这个章节)" and kin.
``missing_part``
    A required label is absent, a numbered answer starts at part N > 1, or a labelled slot
    (创新点/Innovation…) is empty.
``wrong_language``
    The answer (or, in a post, a whole enumerated paragraph) is in the other script.
``duplicate_entry``
    A digest post lists the same paper twice (same ``## `` title or same arXiv ID).
``empty``
    Nothing but whitespace, "N/A", "None", "无", or bare labels.

Precision matters as much as recall: patterns are anchored to text addressed to the user
(您/你/you) or to template wording, never to single common words, and URLs, code and math are
masked before looking for "xxx". For whole-answer kinds (missing_part, wrong_language, empty)
``Defect.text`` says what is missing or wrong rather than quoting a line.
"""

from __future__ import annotations

import html
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import guard_ngrams
from .prompts import corrections
from .text import is_han as _is_cjk
from .text import title_key

KINDS = (
    "template_slot",
    "placeholder_link",
    "chatter",
    "echoed_instructions",
    "method_error",
    "missing_part",
    "wrong_language",
    "duplicate_entry",
    "empty",
    "repetition",
    "flagged",  # a "⚠️" warning a summary already carries (``check`` on a summary)
)
_KIND_ORDER = {kind: i for i, kind in enumerate(KINDS)}
_MAX_TEXT = 200


@dataclass(frozen=True)
class Defect:
    """One problem: its kind, where it is (1-based line) and the offending line, shortened."""

    kind: str
    line: int
    text: str


def _shorten(text: str, limit: int = _MAX_TEXT) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- text normalisation ------------------------------------------------------------------------
_URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]{}\"'，。；、）（【】“”]+", re.I)
_CODE_SPAN_RE = re.compile(r"`[^`\n]*`")
_MATH_RE = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$|\\\(.*?\\\)|\\\[.*?\\\]")
# Real HTML only: "<your answer>" is a template slot, not a tag to strip.
_HTML_TAG_RE = re.compile(
    r"</?(?:p|li|ol|ul|strong|em|b|i|u|s|br|hr|div|span|code|pre|summary|details|img|a|h[1-6]"
    r"|sup|sub|table|thead|tbody|tr|td|th|blockquote|font|center|small|big|mark|del|ins)"
    r"(?:\s[^<>]*)?/?>",
    re.I,
)
_MD_TARGET_RE = re.compile(r"\]\(([^)\s]*)\)")
_QUOTED_RE = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|「[^」\n]*」|『[^』\n]*』|‘[^’\n]*’")
_FENCE_RE = re.compile(r"^\s*(```|~~~)")


def _plain(line: str) -> str:
    """The line as a reader sees it: no HTML tags or entities, no bold/italic markers."""
    text = _HTML_TAG_RE.sub(" ", line)
    text = html.unescape(text)
    text = text.replace("**", "").replace("__", "")
    return text.strip()


def _masked(text: str) -> str:
    """Hide URLs, link targets, inline code and math: "xxx" there is not a template slot."""
    text = _URL_RE.sub(" ", text)
    text = _MD_TARGET_RE.sub("] ", text)
    text = _CODE_SPAN_RE.sub(" ", text)
    return _MATH_RE.sub(" ", text)


def _is_kana(ch: str) -> bool:
    return 0x3040 <= ord(ch) <= 0x30FF


def _is_hangul(ch: str) -> bool:
    code = ord(ch)
    return 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF


def _is_wide(ch: str) -> bool:
    """CJK text or CJK punctuation/full-width forms: what surrounds a Chinese "XX" slot."""
    return ord(ch) >= 0x2E80


# --- per-line patterns ----------------------------------------------------------------------
def _rx(*patterns: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), flags)


_X_RUN_RE = re.compile(r"[xX]{2,}")
_SLOT_RE = _rx(
    r"此处(?:请|需要?)?(?:填写|填入|插入|补充)",
    r"请(?:在此处?|于此)?(?:填写|填入)",
    r"请查阅原(?:始|文)(?:文档|论文|文献|文章)?以?获取",
    r"(?<![有尚仍亟])待(?:补充|填写)",
    r"\[\s*(?:insert|your|add|fill|enter|填写|插入)[^\]]{0,60}\]",
    r"<\s*(?:your|insert|fill|enter)\b[^>]{0,60}>",
    r"\(\s*(?:please\s+)?(?:insert|fill in|enter)\b[^)]{0,60}\)",
    flags=re.I,
)
_LINK_ANYWHERE_RE = _rx(
    r"\]\(\s*\)",
    r"\]\(\s*(?:x{3,}|链接|链接地址|论文链接地址|url|link|none|null|#|待补充)\s*\)",
    r"链接文章",
    r"占位符链接|这是一个占位符|placeholder (?:link|url)",
    r"此处无法填写",
)
# "[论文链接地址]", "(link)": a bracketed link name standing where the link should be. Right
# after a real URL the same words are only a caption ("https://… （论文链接）").
_BRACKETED_LINK_NAME_RE = re.compile(
    r"[\[【(（]\s*(?:论文|文章|paper|github|代码|code)?\s*(?:代码)?\s*(?:仓库)?\s*"
    r"(?:链接|link|url)\s*(?:地址)?\s*[\]】)）]"
)
_PLACEHOLDER_HOSTS = {"example.com", "example.org", "example.net", "xxx.com", "your-domain.com"}
_PLACEHOLDER_SEGMENT_RE = re.compile(
    r"^(?:[xX.]{3,}|username|your-?user(?:name)?|your[-_]?repo|repo[-_]?name|your[-_]?name)$"
)
_CHATTER_RE = _rx(
    # Chinese: wishes and notes addressed to the user
    r"希望(?:以上|上述|这个|这些|本次|我的|此|该)?的?(?:总结|回答|内容|摘要|解答|分析|信息|翻译|解释)"
    r".{0,20}(?:符合|满足|帮|有用|有所帮助|对你|对您)",
    r"希望.{0,20}(?:符合|满足)(?:您|你)的?(?:要求|需求|需要|期望)",
    r"希望.{0,12}(?:帮到|帮助到?|帮上)(?:您|你)",
    r"(?:以上|上述)(?:的)?(?:内容|描述|回答|总结|信息|分析|解读|结果)?(?:仅|只)(?:供|作为|是|能作为)参考",
    r"仅供(?:您|你)参考",
    r"(?:您|你)可以根据",
    r"如果?(?:您|你)(?:还)?(?:需要|有|想|希望|对)",
    r"请让我知道|请告诉我|随时(?:告诉|联系|问)我|欢迎(?:继续)?(?:提问|追问)",
    r"(?:由于|因为)(?:您|你)(?:未|没有)提供",
    r"(?:按照|根据)(?:您|你)的(?:要求|需求)",
    r"我在回答中|我(?:已经?|将|会)(?:根据|按照|尽量|为您|为你)",
    r"以上就是.{0,30}(?:总结|描述|回答|介绍|分析|内容)",
    r"^(?:好的|当然|没问题)[，,！!。]\s*(?:以下|下面|这是|我)",
    r"^以下是(?:我|为您|为你|根据(?:您|你))",
    # English
    r"\bi hope (?:this|that|the above|it|my)\b.{0,40}\b(?:helps?|helpful|useful|meets|answers|satisf)",
    r"\bhope (?:this|that) helps\b",
    r"\b(?:i'?d|i would|i'm|i am) (?:be )?(?:happy|glad) to help\b",
    r"\blet me know if\b|\bplease let me know\b",
    r"\bfeel free to (?:ask|reach|let me|contact)",
    r"\bif you (?:need|have|would like|want|'d like)\b.{0,60}\b(?:let me know|feel free|i can|i'd be|happy to|glad to)",
    r"\bas an ai(?: language)? model\b|\bas a (?:large )?language model\b|\bi(?: am|'m) (?:just )?an ai\b",
    r"^(?:sure|certainly|of course|absolutely|okay|ok|alright)\b[,!.:]*\s*(?:here|below|i(?:'m| am| will|'ll))\b",
    r"^here(?:'s| is| are) (?:a |an |the |my )?(?:\w+ ){0,3}(?:summary|translation|answer|overview|breakdown|analysis)\b.{0,40}[:：]\s*$",
    r"\b(?:anything|something) else (?:i can|you(?:'d| would)? (?:like|need))\b",
    r"\b(?:based on|according to|following|as per) your (?:request|instructions?|input|prompt)\b",
    r"根据(?:您|你)(?:提供|给出|发送)的",
    r"(?:还有)?(?:什么|其他|别的)(?:需要|可以|能)(?:我)?(?:帮|为)(?:您|你)",
    r"\b(?:the above|this) (?:summary|answer|content) is (?:for reference only|only for reference)\b",
    flags=re.I,
)
_ECHO_RE = _rx(
    r"严格(?:按照|遵循|遵守|依照)(?:上述|以下|给定的?)?(?:的)?(?:格式|要求|模板)",
    r"(?:确保|务必|请|尽量|尽可能)(?:使用)?.{0,6}简洁.{0,4}学术",
    r"保持语句的?简洁(?:和|与|、)?学术",
    r"不(?:要)?重复(?:前面|之前|上面|上文|前文|<summary>|summary)(?:部分)?的?内容",
    r"使用原始的?(?:序号|编号|数字值)|数值使用原始",
    r"专有名词需要用英文标[注记]",
    r"(?:按照|依照)上述的?格式(?:和要求)?(?:进行)?填写",
    r"(?:以上|上述)(?:回答|内容)?仅(?:为|是)(?:模板|示例)",
    r"(?:请|需要|需|应当?|须)\s*根据.{0,20}实际.{0,25}(?:填写|替换|填充)",
    r"[（(]\s*根据.{0,20}实际.{0,20}(?:填写|替换)",
    r"(?:若|如果?)(?:当前)?(?:不可用|无代码|没有代码|不存在).{0,15}(?:填写|留空|标记)",
    r"[（(]\s*使用(?:英文|中文)(?:翻译)?\s*[)），,]",
    r"需要手动(?:输入|填写)",
    r"(?:带有|附带)中英文双语",
    r"\bbe sure to (?:use|strictly|follow)\b",
    r"\bstrictly follow(?:ing)? the (?:format|template|structure)\b",
    r"\bas concise and academic as possible\b",
    r"\bproper nouns need to be marked in english\b",
    r"\bdo not repeat the (?:content|information)\b|\bdo not have too much repetit",
    r"\busing the original numbers\b|\buse the original (?:numbers|numbering)\b",
    r"\boutput to xxx\b",
    r"\b(?:fill in|replace) (?:the |this )?(?:template|placeholders?)\b",
    r"\bthis is (?:just |only )?a template\b",
    flags=re.I,
)
_METHOD_ERROR_RE = _rx(
    r"\bsome error (?:for|in) (?:the )?\w+",
    r"比如是不是没有\s*\w*\s*这个章节",
    flags=re.I,
)

# Link lines: "5. Urls: …", "论文链接：…", "Github 代码链接：None".
_LEAD_MARKER_RE = re.compile(
    r"^\s*(?:[-*+•]\s+|\d{1,2}[.、)）]\s*|[(（]\d{1,2}[)）]\s*[:：]?\s*|#{1,6}\s+)*"
)
_GENERIC_LINK_LABEL_RE = re.compile(
    r"^(?:urls?|links?|链接|网址|论文链接|文章链接|论文地址|paper(?:\s*link)?|论文)$", re.I
)
_CODE_LINK_LABEL_RE = re.compile(
    r"^(?:github|code|代码|源码|开源代码)$"
    r"|^(?=.*(?:github|代码|\bcode\b|源码))(?=.*(?:链接|link|url|仓库|repo|地址|网址)).*$",
    re.I,
)
_CODE_SUBLABEL_RE = re.compile(r"^(?:github|代码|code|源码)\s*[:：]", re.I)
_LINK_VALUE_PLACEHOLDER_RE = _rx(
    r"待补充|待填写|待定|无法填写|请提供|请查阅原|根据实际|链接地址|paper_info",
    r"无法提供(?:论文)?链接|(?:论文|文章|paper)(?:的)?(?:链接)?\s*(?:未提供|不可用|无法获取)",
    r"(?:paper|论文(?:链接)?|文章链接)\s*[:：]\s*(?:none|无|n/?a|null)\b",
    r"\binsert link\b|\blink here\b",
    flags=re.I,
)
_NONE_VALUE_RE = re.compile(
    r"^(?:github\s*[:：]?\s*)?(?:none|无|暂无|没有|n/?a|null|未公开|未提供代码)[\s。.，,;；]*$",
    re.I,
)
_ARXIV_ID_RE = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d+)?(?![\d])")
_OLD_ARXIV_ID_RE = re.compile(r"\b([a-z\-]+(?:\.[A-Z]{2})?/\d{7})\b")
_HAS_LINK_RE = re.compile(
    r"https?://|www\.|\b10\.\d{4,9}/|(?<![\d.])\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7}", re.I
)


def _link_label(plain: str) -> tuple[str, str] | None:
    """("generic"|"code", value) when the line is a link slot like "Urls: …"; else None."""
    body = _LEAD_MARKER_RE.sub("", plain)
    match = re.search(r"[:：]", body)
    if not match or match.start() > 40:
        return None
    label = body[: match.start()].strip()
    value = body[match.end() :].strip()
    if _GENERIC_LINK_LABEL_RE.match(label):
        return "generic", value
    if len(label) <= 24 and _CODE_LINK_LABEL_RE.match(label):
        return "code", value
    return None


_CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "gitee.com")
_PAPER_SUBLABEL_CODE_RE = re.compile(
    r"(?:paper|论文|文章)\s{0,3}[:：]\s{0,3}(?:\[[^\]\n]{0,200}\]\(\s{0,3})?<?(?:https?://)?"
    r"(?:www\.)?(?:" + "|".join(re.escape(h) for h in _CODE_HOSTS) + r")\b",
    re.I,
)


def _paper_link_is_code(value: str) -> bool:
    """A link slot whose paper link is a code repository: "Paper: https://github.com/…", or
    only code-host URLs and no arXiv ID or DOI at all."""
    if _PAPER_SUBLABEL_CODE_RE.search(value):
        return True
    hosts = []
    for url in _URL_RE.findall(value):
        try:
            hosts.append((urlsplit(url if "://" in url else "http://" + url).hostname or "").lower())
        except ValueError:
            continue
    if not hosts or _arxiv_ids(value) or re.search(r"\b10\.\d{4,9}/", value):
        return False
    return all(h.removeprefix("www.") in _CODE_HOSTS for h in hosts)


_IF_AVAILABLE_RE = re.compile(
    r"\bif (?:available|any|there (?:is|are) (?:one|any))\b|\bwhen available\b|如果有(?:的话)?|若有",
    re.I,
)
_IF_NOT_RE = re.compile(r"\b(?:otherwise|if not|if none)\b|如果没有|否则|若无|没有则|没有的话", re.I)
_FILL_IN_RE = re.compile(
    r"\b(?:fill|write|put|enter|leave)\b|\bNone\b|填写|写上|写出|填入|给出|\bN/?A\b", re.I
)


def _echoes_alternatives(plain: str) -> bool:
    """The prompt's two alternatives copied into the answer ("the link if available,
    otherwise write None"; "如果有的话填写…，如果没有则填写 None") instead of one of them."""
    return bool(
        _IF_AVAILABLE_RE.search(plain) and _IF_NOT_RE.search(plain) and _FILL_IN_RE.search(plain)
    )


def _arxiv_ids(text: str) -> set[str]:
    return set(_ARXIV_ID_RE.findall(text)) | set(_OLD_ARXIV_ID_RE.findall(text))


def _normalize_arxiv_id(arxiv_id: str | None) -> str | None:
    if not arxiv_id:
        return None
    ids = _arxiv_ids(arxiv_id)
    return sorted(ids)[0] if ids else arxiv_id.strip()


def _x_slot(masked: str) -> bool:
    """A standalone "xxx" (3+), or "XX" (2) set in Chinese text, that no word or URL contains."""
    for match in _X_RUN_RE.finditer(masked):
        start, end = match.span()
        before = masked[start - 1] if start else ""
        after = masked[end] if end < len(masked) else ""
        if re.match(r"[A-Za-z0-9_\-]", before) or re.match(r"[A-Za-z0-9_\-]", after):
            continue
        if end - start >= 3 or _is_wide(before or " ") or _is_wide(after or " "):
            return True
    return False


def _placeholder_url(line: str) -> bool:
    for url in _URL_RE.findall(line):
        try:
            parts = urlsplit(url if "://" in url else "http://" + url)
        except ValueError:
            continue
        host = (parts.hostname or "").lower()
        if re.fullmatch(r"[x.]+", host) or host in _PLACEHOLDER_HOSTS:
            return True
        segments = [s for s in parts.path.split("/") if s]
        if any(_PLACEHOLDER_SEGMENT_RE.match(s) for s in segments):
            return True
    return False


def _bracketed_link_name(plain: str) -> bool:
    for match in _BRACKETED_LINK_NAME_RE.finditer(plain):
        before = plain[: match.start()].rstrip()
        if not re.search(r"(?:https?://|www\.)\S*$", before, re.I):
            return True
    return False


def _line_kinds(line: str, arxiv_id: str | None) -> list[str]:
    """The defect kinds one line shows, in KINDS order."""
    plain = _plain(line)
    if not plain:
        return []
    kinds: set[str] = set()
    masked = _masked(plain)
    link = _link_label(plain)

    slot = _x_slot(masked) or bool(_SLOT_RE.search(masked))
    if link is not None:
        label_kind, value = link
        if slot or _LINK_VALUE_PLACEHOLDER_RE.search(value):
            kinds.add("placeholder_link")
        elif (
            label_kind == "generic"
            and value
            and not _CODE_SUBLABEL_RE.match(value)  # "链接: 代码: 论文中未给出" (a PDF upload)
            and (_NONE_VALUE_RE.match(value) or not _HAS_LINK_RE.search(value))
        ):
            # The paper always has a link: "None" or prose in its place is a missing link.
            kinds.add("placeholder_link")
        if label_kind == "generic" and _paper_link_is_code(value):
            kinds.add("placeholder_link")  # "Paper: https://github.com/…" is not the paper
        own = _normalize_arxiv_id(arxiv_id)
        found = _arxiv_ids(value)
        if own and found and own not in found:
            kinds.add("placeholder_link")
    elif slot:
        kinds.add("template_slot")
    if _LINK_ANYWHERE_RE.search(plain) or _bracketed_link_name(plain) or _placeholder_url(line):
        kinds.add("placeholder_link")

    unquoted = _QUOTED_RE.sub(" ", plain)
    if _CHATTER_RE.search(unquoted):
        kinds.add("chatter")
    if _ECHO_RE.search(plain) or _echoes_alternatives(plain):
        kinds.add("echoed_instructions")
    if _METHOD_ERROR_RE.search(plain):
        kinds.add("method_error")
    return sorted(kinds, key=_KIND_ORDER.__getitem__)


# --- structure -------------------------------------------------------------------------------
_SLOT_LABELS = r"(?:创新点|性能|工作量|innovation(?: points?)?|performance|workload)(?:总结)?"
_EMPTY_LABEL_RE = re.compile(rf"^{_SLOT_LABELS}\s*[:：]\s*$", re.I)
_NEXT_LABEL_RE = re.compile(rf"^{_SLOT_LABELS}\s*[:：]", re.I)
_LABEL_PREFIX_RE = re.compile(r"^\s*(?:[-*+•]\s+|[(（]\d{1,2}[)）]\s*[:：]?\s*|\d{1,2}[.、]\s*)+")


def _empty_label_lines(lines: Sequence[tuple[int, str]]) -> list[Defect]:
    """ "创新点：" directly followed by "性能：…": the innovation slot was left empty."""
    plain = [(n, _LABEL_PREFIX_RE.sub("", _plain(raw)), raw) for n, raw in lines]
    plain = [item for item in plain if item[1]]
    found = []
    for (number, text, raw), (_, following, _) in itertools.pairwise(plain):
        if _EMPTY_LABEL_RE.match(text) and _NEXT_LABEL_RE.match(following):
            found.append(Defect("missing_part", number, _shorten(raw)))
    return found


def _code_free_lines(lines: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    """Drop fenced code blocks and $$ display math: a template inside code is not a defect."""
    kept, in_fence, in_math = [], False, False
    for number, raw in lines:
        if _FENCE_RE.match(raw):
            in_fence = not in_fence
            continue
        if raw.strip() == "$$":
            in_math = not in_math
            continue
        if not in_fence and not in_math:
            kept.append((number, raw))
    return kept


# --- language --------------------------------------------------------------------------------
_LATIN_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’]*")
_STOPWORDS = {"the", "of", "and", "is", "are", "to", "in", "with", "this", "that", "for", "we"}
# code -> (names found anywhere in the setting, short aliases matched exactly)
_LANGUAGES = {
    "zh": (("chinese", "中文", "汉语"), ("zh", "cn")),
    "ja": (("japanese", "日本語", "日语"), ("ja", "jp")),
    "ko": (("korean", "한국어", "韩语"), ("ko", "kr")),
    "en": (("english", "英文", "英语"), ("en",)),
    "fr": (("french", "français"), ("fr",)),
    "de": (("german", "deutsch"), ("de",)),
    "es": (("spanish", "español"), ("es",)),
    "it": (("italian", "italiano"), ("it",)),
    "pt": (("portuguese", "português"), ("pt",)),
    "nl": (("dutch",), ("nl",)),
}


def _language_code(language: str | None) -> str | None:
    """ "Simplified Chinese", "中文", "zh-CN" -> "zh"; unknown languages -> None (no check)."""
    if not language:
        return None
    key = language.strip().lower()
    for code, (names, aliases) in _LANGUAGES.items():
        if key.split("-")[0] in aliases or any(name in key for name in names):
            return code
    return None


@dataclass(frozen=True)
class _ScriptCount:
    han: int
    kana: int
    hangul: int
    latin: int  # letters of ordinary (lower-case) words: proper nouns and acronyms left out

    @property
    def total(self) -> int:
        return self.han + self.kana + self.hangul + self.latin

    @property
    def east_asian(self) -> int:
        return self.han + self.kana + self.hangul


def _script_count(text: str) -> _ScriptCount:
    text = _masked(_HTML_TAG_RE.sub(" ", text))
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    han = sum(1 for ch in text if _is_cjk(ch))
    kana = sum(1 for ch in text if _is_kana(ch))
    hangul = sum(1 for ch in text if _is_hangul(ch))
    latin = 0
    for word in _LATIN_WORD_RE.findall(text):
        # Proper nouns, model names and acronyms ("Stable", "DDIM", "NeRF") belong in any language.
        if word[0].isupper() or any(ch.isupper() for ch in word[1:]):
            continue
        latin += len(word)
    return _ScriptCount(han, kana, hangul, latin)


def _wrong_language(text: str, code: str) -> str | None:
    """A reason when the text is clearly mostly in another script; None when it fits or is short."""
    count = _script_count(text)
    if count.total < 60:
        return None
    if code in ("zh", "ja", "ko"):
        own = {"zh": count.han, "ja": count.han + count.kana, "ko": count.hangul}[code]
        share = own / count.total
        if share < 0.3:
            return f"{share:.0%} of the letters are in the expected script"
        if code == "zh" and count.kana > 0.2 * max(count.han, 1):
            return "the text is Japanese, not Chinese"
        return None
    share = count.east_asian / count.total
    if share > 0.3:
        return f"{share:.0%} of the letters are Chinese, Japanese or Korean"
    return None


_ENUM_START_RE = re.compile(r"^\s*(?:[(（]\d{1,2}[)）]|\d{1,2}[.、)]|[-*+•])\s*[:：]?\s*")


def _foreign_paragraph(plain: str, doc_is_chinese: bool) -> bool:
    """In a post, one enumerated paragraph written in the other language (e.g. an English (1)…(4))."""
    if doc_is_chinese:
        if not _ENUM_START_RE.match(plain) or any(_is_cjk(ch) for ch in plain):
            return False
        words = [w.lower() for w in _LATIN_WORD_RE.findall(_masked(plain))]
        return len(words) >= 12 and sum(w in _STOPWORDS for w in words) >= 3
    count = _script_count(plain)
    return count.han >= 20 and count.han / max(count.total, 1) >= 0.5


# --- public API: one answer -------------------------------------------------------------------
_EMPTY_ANSWER_RE = re.compile(
    r"^(?:n/?a|none|null|nil|无|暂无|没有|空|-+|—+|\.{3}|…)[\s.。!！]*$", re.I
)
_BARE_LABEL_RE = re.compile(r"^[^:：]{0,40}[:：]\s*$")


def _is_bare_label(raw: str) -> bool:
    text = _LABEL_PREFIX_RE.sub("", _plain(raw))
    text = re.sub(r"^#{1,6}\s*", "", text)
    return not text or bool(_BARE_LABEL_RE.match(text))


def _required_present(text: str, label: str) -> bool:
    norm_text = unicodedata.normalize("NFKC", text).casefold()
    norm_label = unicodedata.normalize("NFKC", label).casefold().strip()
    if not norm_label:
        return True
    number = re.fullmatch(r"\(\s*(\d{1,2})\s*\)", norm_label)
    if number:  # a part marker opens a line ("(2) Data: ..."); "(2)" mid-sentence is no part
        mark = f"({number.group(1)})"
        return any(
            line.lstrip(" \t-*+•>_#").replace(" ", "").startswith(mark)
            for line in norm_text.splitlines()
        )
    return norm_label in norm_text


def _first_line(lines: Sequence[tuple[int, str]]) -> int:
    return next((n for n, raw in lines if raw.strip()), 1)


def find_defects(
    text: str,
    *,
    required: Sequence[str] = (),
    language: str | None = None,
    arxiv_id: str | None = None,
) -> list[Defect]:
    """Defects in one stage answer.

    ``required`` labels ("(1)", "摘要", "Key Takeaways") must each appear; ``language`` is the
    output language ("English", "Simplified Chinese", "zh"); ``arxiv_id`` is the paper's own
    ID, so that a link line citing another arXiv paper is caught as an invented link.
    """
    all_lines = list(enumerate(text.splitlines(), start=1))
    if not text.strip() or _EMPTY_ANSWER_RE.match(text.strip()):
        return [Defect("empty", _first_line(all_lines), _shorten(text) or "(empty answer)")]
    lines = _code_free_lines(all_lines)
    defects = [
        Defect(kind, number, _shorten(raw))
        for number, raw in lines
        for kind in _line_kinds(raw, arxiv_id)
    ]
    defects += _empty_label_lines(lines)
    if all(_is_bare_label(raw) for _, raw in lines if raw.strip()):
        defects.append(Defect("empty", _first_line(all_lines), "only labels, no content"))
        return _sorted(defects)
    last = all_lines[-1][0] if all_lines else 1
    if not any(d.kind == "echoed_instructions" for d in defects):
        echoed = guard_ngrams.echoed_prompt(text)
        if echoed:
            defects.append(Defect("echoed_instructions", _first_line(all_lines), _shorten(echoed)))
    looped = guard_ngrams.degenerate_repetition(text)
    if looped:
        defects.append(Defect("repetition", _first_line(all_lines), _shorten(looped)))
    for label in required:
        if not _required_present(text, label):
            defects.append(Defect("missing_part", last, f"missing: {label}"))
    code = _language_code(language)
    if code:
        reason = _wrong_language(text, code)
        if reason:
            defects.append(
                Defect("wrong_language", _first_line(all_lines), f"expected {language}: {reason}")
            )
    return _sorted(defects)


def _sorted(defects: Iterable[Defect]) -> list[Defect]:
    unique = {(d.line, d.kind, d.text): d for d in defects}
    return sorted(unique.values(), key=lambda d: (d.line, _KIND_ORDER.get(d.kind, 99)))


# --- trimming ---------------------------------------------------------------------------------
_OPENER_PREFIX_RE = _rx(
    r"^\s*(?:(?:sure|certainly|of course|absolutely|okay|ok|alright)\b[,!.]*\s*)?"
    r"here(?:'s| is| are)\b[^:\n]{0,80}:\s*",
    r"^\s*(?:好的|当然|没问题|可以的?)[，,！!。~]*\s*(?:以下|下面)是[^：:\n]{0,60}[：:]\s*",
    r"^\s*(?:以下|下面)是(?:我|为您|为你|根据(?:您|你))[^：:\n]{0,60}[：:]\s*",
    flags=re.I,
)
_INTERJECTION_LINE_RE = _rx(
    r"^\s*(?:sure|certainly|of course|absolutely|okay|ok|alright)\b[\s,!.]*$",
    r"^\s*(?:sure|certainly|of course|absolutely|okay|ok|alright)\b[,!.]+\s*"
    r"(?:here|below|i(?:'m| am| will|'ll|'d be))\b",
    r"^\s*(?:好的|当然|没问题|可以的?)[，,！!。~\s]*$",
    r"^\s*(?:好的|当然|没问题)[，,！!。~]+\s*(?:以下|下面|这是|我)",
    r"^\s*(?:以下|下面)是.{0,60}(?:总结|摘要|回答|翻译|分析)[^：:\n]{0,20}[：:]\s*$",
    flags=re.I,
)
_SENTENCE_END_RE = re.compile(r"(?<=[。！？!?])|(?<=[.;；])(?=\s)")
_RULE_LINE_RE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,})\s*$")


def _is_chatter(text: str) -> bool:
    return bool(_CHATTER_RE.search(_QUOTED_RE.sub(" ", _plain(text))))


def _trim_tail_sentences(line: str) -> str:
    """Drop chatter sentences at the end of the last line; keep the content before them."""
    parts = [p for p in _SENTENCE_END_RE.split(line) if p]
    while parts and (not parts[-1].strip() or _is_chatter(parts[-1])):
        parts.pop()
    return "".join(parts).rstrip()


def _trim_head_sentences(line: str) -> str:
    """Drop chatter sentences at the start of the first line; keep the content after them."""
    parts = [p for p in _SENTENCE_END_RE.split(line) if p]
    dropped = 0
    while dropped < len(parts) and (
        not parts[dropped].strip()
        or _is_chatter(parts[dropped])
        or _INTERJECTION_LINE_RE.match(_plain(parts[dropped]))
    ):
        dropped += 1
    return line if dropped == 0 else "".join(parts[dropped:]).lstrip()


def trim_chatter(text: str) -> str:
    """Remove chatter at the START or END of an answer ("Sure, here is…", "希望…符合您的要求！").

    Never touches the middle: a chatter line between two content lines stays (and is reported
    by find_defects). Leading and trailing blank lines go too.
    """
    lines = text.splitlines()
    start, end = 0, len(lines)
    while start < end:
        line = lines[start]
        if not line.strip():
            start += 1
            continue
        prefix = _OPENER_PREFIX_RE.match(line)
        if prefix:
            if line[prefix.end() :].strip():
                lines[start] = line[prefix.end() :]
                break
            start += 1
            continue
        kept = _trim_head_sentences(line)
        if kept == line:
            break
        if kept.strip():
            lines[start] = kept
            break
        start += 1
    removed_tail = False
    while end > start:
        line = lines[end - 1]
        if not line.strip() or (removed_tail and _RULE_LINE_RE.match(line)):
            end -= 1
            continue
        if _is_chatter(line):
            kept = _trim_tail_sentences(line)
            removed_tail = True
            if kept.strip() and kept.strip() != line.strip():
                lines[end - 1] = kept
                break
            end -= 1
            continue
        break
    return "\n".join(lines[start:end])


# --- public API: whole documents -----------------------------------------------------------------
_BOILERPLATE_RE = re.compile(
    r"以下所有内容总结都来自于|仅供参考，谨慎使用|千万不要用于严肃的学术场景|如果您觉得我们的项目对您有帮助"
    r"|ChatPaperFree\]\(https://github\.com"
)
# "> ⚠️ …", "> ❌ …": notices from the site or from our renderer, not model text.
_NOTICE_RE = re.compile(r"^\s*>\s*(?:⚠️|⚠|❌|🔴|💗)")
_PDF_LINE_RE = re.compile(r"^\s*\[PDF\]\(([^)]*)\)", re.I)
_NUMBERED_TOP_RE = re.compile(r"^(\d{1,2})[.、．]\s*\S")
_BOLD_ONLY_RE = re.compile(r"^\s*\*\*[^*].*\*\*\s*$")


def _mostly_chinese_lines(lines: Iterable[str]) -> bool:
    """Whether a post is Chinese: most lines of prose hold Chinese (a long English abstract is
    one line, so counting lines rather than letters keeps it from outweighing the summary)."""
    chinese = other = 0
    for raw in lines:
        plain = _masked(_plain(raw))
        if any(_is_cjk(ch) for ch in plain):
            chinese += 1
        elif len(_LATIN_WORD_RE.findall(plain)) >= 3:
            other += 1
    return chinese > other


def _front_matter_end(lines: Sequence[str]) -> int:
    """Index of the first line after a leading ``---`` … ``---`` block (0 when there is none)."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or lines[first].strip() != "---":
        return 0
    for i in range(first + 1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return i + 1
    return 0


def _entry_arxiv_id(entry: Sequence[tuple[int, str]]) -> str | None:
    for _, raw in entry:
        match = _PDF_LINE_RE.match(raw)
        if match:
            ids = _arxiv_ids(match.group(1))
            if ids:
                return sorted(ids)[0]
    for _, raw in entry:
        if "arxiv.org/" in raw:
            ids = _arxiv_ids(raw)
            if ids:
                return sorted(ids)[0]
    return None


def _starts_mid_way(entry: Sequence[tuple[int, str]]) -> Defect | None:
    """The structured answer begins at part 7 or 8: the earlier parts never arrived."""
    last_bold = max((i for i, (_, raw) in enumerate(entry) if _BOLD_ONLY_RE.match(raw)), default=-1)
    for number, raw in entry[last_bold + 1 :]:
        if re.search(r"<ol\b|<li\b", raw, re.I):
            return None
        if raw[:1].isspace():
            continue
        match = _NUMBERED_TOP_RE.match(raw.replace("**", ""))
        if match:
            first = int(match.group(1))
            if first > 1:
                return Defect("missing_part", number, _shorten(raw))
            return None
    return None


def check_document(text: str) -> list[Defect]:
    """Defects in a whole summary or digest post, with line numbers in ``text``.

    Front matter and the site's disclaimer blockquote are skipped; each ``## `` entry is checked
    line by line (its own arXiv ID catches invented links), for answers that start mid-way and
    for paragraphs in the other language, and repeated entries are reported as duplicate_entry.
    """
    raw_lines = text.splitlines()
    start = _front_matter_end(raw_lines)
    numbered = list(enumerate(raw_lines, start=1))[start:]
    first_heading = next((n for n, raw in numbered if raw.startswith("## ")), None)

    def skipped(number: int, raw: str) -> bool:
        if not raw.lstrip().startswith(">"):
            return False
        before_entries = first_heading is None or number < first_heading
        return before_entries or bool(_BOILERPLATE_RE.search(raw) or _NOTICE_RE.match(raw))

    lines = _code_free_lines((n, raw) for n, raw in numbered if not skipped(n, raw))
    if all(not raw.strip() or raw.lstrip().startswith("#") for _, raw in lines):
        return [Defect("empty", 1, "the document has no content")]

    entries: list[list[tuple[int, str]]] = [[]]
    for number, raw in lines:
        if raw.startswith("## "):
            entries.append([])
        entries[-1].append((number, raw))

    doc_is_chinese = _mostly_chinese_lines(raw for _, raw in lines)

    defects: list[Defect] = []
    seen_titles: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    for entry in entries:
        if not entry:
            continue
        is_entry = entry[0][1].startswith("## ")
        arxiv_id = _entry_arxiv_id(entry) if is_entry else None
        for number, raw in entry:
            defects += [Defect(kind, number, _shorten(raw)) for kind in _line_kinds(raw, arxiv_id)]
            if _foreign_paragraph(_plain(raw), doc_is_chinese):
                defects.append(Defect("wrong_language", number, _shorten(raw)))
        defects += _empty_label_lines(entry)
        if not is_entry:
            continue
        heading_line, heading = entry[0]
        midway = _starts_mid_way(entry[1:])
        if midway:
            defects.append(midway)
        if not any(raw.strip() for _, raw in entry[1:]):
            defects.append(Defect("empty", heading_line, _shorten(heading)))
        key = title_key(heading[3:])
        if key in seen_titles or (arxiv_id and arxiv_id in seen_ids):
            defects.append(Defect("duplicate_entry", heading_line, _shorten(heading)))
        seen_titles.setdefault(key, heading_line)
        if arxiv_id:
            seen_ids.setdefault(arxiv_id, heading_line)
    return _sorted(defects)


# --- reporting --------------------------------------------------------------------------------
def defects_to_json(defects: Sequence[Defect]) -> dict:
    """The ``--json`` shape: {"defects": [{"kind", "line", "text"}, …]}."""
    return {"defects": [{"kind": d.kind, "line": d.line, "text": d.text} for d in defects]}


def format_defects(defects: Sequence[Defect]) -> str:
    """One defect per line for a terminal: ``line 12: template_slot: (1): xxx;``."""
    return "\n".join(f"line {d.line}: {d.kind}: {d.text}" for d in defects)


def _example(defect: Defect) -> str:
    """The telling part of a defect for the model: "xxx" rather than the whole line."""
    text = defect.text
    if defect.kind == "missing_part" and text.startswith("missing: "):
        return text[len("missing: ") :]
    if defect.kind == "template_slot":
        masked = _masked(_plain(text))
        for pattern in (_X_RUN_RE, _SLOT_RE):
            match = pattern.search(masked)
            if match:
                return match.group(0)
    return _shorten(_plain(text), 60)


def corrective_instruction(defects: Sequence[Defect], language: str | None) -> str:
    """What to tell the model when asking once more: each problem in plain terms, with examples.

    Returns "" when there is nothing to correct. The text fills the {problems} slot of
    prompts/corrective.md; each kind's sentence comes from prompts/corrections.md.
    """
    by_kind: dict[str, list[Defect]] = {}
    for defect in defects:
        by_kind.setdefault(defect.kind, []).append(defect)
    sentences = []
    for kind in sorted(by_kind, key=lambda k: _KIND_ORDER.get(k, 99)):
        template = corrections().get(kind)  # prompts/corrections.md
        if not template:
            continue
        quoted = []
        for defect in by_kind[kind]:
            snippet = "'" + _example(defect) + "'"
            if snippet not in quoted:
                quoted.append(snippet)
        examples = ", ".join(quoted[:3])
        sentences.append(
            "- " + template.format(examples=examples, language=language or "the requested language")
        )
    return "\n".join(sentences)
