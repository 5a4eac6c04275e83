"""The book's Korean: the glossary is the termbase, and every 요약 keeps to it in one voice.

book/glossary.md holds three kinds of table. The definition tables (| Term | 한국어 |
Definition |) pair each English term with its Korean name; the variants table (표기 선택)
lists, for the ideas Korean texts name in several ways, the name the book uses and the names
it does not; the Korean index (한국어 용어 색인) lists every Korean term, sorted in 가나다
order, with its English term.

A chapter's 요약 is the text from its line "### 요약" (in intro.md "## 요약") to the end of
the markdown cell (or the next section). `summary_problems` checks one:

* no name from the variants table's "쓰지 않는 표기" column occurs, except inside a longer
  index term (경사 in 경사 하강법);
* the vocabulary is closed: every Hangul word must be a stem followed by particles and
  endings (은, 을, 에서, …입니다, …하고, …된), and the stem must be a word of an index term
  or an everyday word of `EVERYDAY`. A technical word that the glossary does not define
  therefore fails, whatever it is; `EVERYDAY` must stay free of technical terms (it may not
  share a word with the index or the rejected variants, which a test checks);
* the register is 합쇼체: no sentence ends in 해라체 ("…이다.", "…한다.") or 해요체 ("…해요.").

What it cannot see: a new term made only of glossary words (학습률 폭발) passes, and so does a
word that `EVERYDAY` wrongly holds; that list is reviewed like the glossary. The unit tests at
the end feed the check faults (a rejected variant, an undefined term, a sentence in another
register) to show that it fails on each. To check a draft before it is pasted into a
notebook: `python tests/test_korean.py draft.md ...`.
"""

from __future__ import annotations

import functools
import json
import pathlib
import re
import unicodedata

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
GLOSSARY = BOOK / "glossary.md"
# Every chapter of _toc.yml, in reading order, except the introduction (its 요약 is read on its
# own) and the back matter (glossary, references, API pages), which have no summary.
CHAPTERS = [
    entry["file"].removeprefix("book/")
    for part in yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))["parts"]
    if part["caption"] != "Back matter"
    for entry in part["chapters"]
]
HANGUL = re.compile(r"[\uac00-\ud7a3]")
HANGUL_WORD = re.compile(r"[\uac00-\ud7a3]+")
INDEX_TITLE = "## Korean index"
VARIANTS_TITLE = "## Variants"

# --- reading the glossary -----------------------------------------------------------------


def glossary_text() -> str:
    return GLOSSARY.read_text(encoding="utf-8")


def section(text: str, title: str) -> str:
    """The text of the section whose heading starts with `title`, up to the next ## heading."""
    start = text.index(title)
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def table_rows(text: str) -> list[list[str]]:
    """The cells of every Markdown table row of `text`, the separator rows left out."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([c.strip() for c in line.strip()[1:-1].split("|")])
    return rows


def glossary_rows() -> list[list[str]]:
    """The rows of the definition tables (| Term | 한국어 | Definition |), headers left out."""
    rows, in_table = [], False
    for row in table_rows(glossary_text()):
        if row[:2] in (
            ["Term", "한국어"],
            ["Quantity", "Article"],
            ["English", "이 책의 용어"],
            ["한국어 용어", "English term"],
        ):
            in_table = row[0] == "Term"
        elif in_table:
            rows.append(row)
    return rows


def korean_index() -> list[tuple[str, str]]:
    """The (Korean term, English term) rows of the Korean index, in the order written."""
    rows = table_rows(section(glossary_text(), INDEX_TITLE))
    assert rows[0] == ["한국어 용어", "English term"]
    return [(r[0], r[1]) for r in rows[1:]]


def variants() -> list[tuple[str, str, list[str]]]:
    """The (English, term the book uses, [names it does not use]) rows of the variants table."""
    rows = table_rows(section(glossary_text(), VARIANTS_TITLE))
    assert rows[0] == ["English", "이 책의 용어", "쓰지 않는 표기"]
    return [(r[0], r[1], [v.strip() for v in r[2].split(",")]) for r in rows[1:]]


# --- reading the summaries ----------------------------------------------------------------


def summary_of_markdown(text: str, heading: str = "### 요약") -> str:
    """The 요약 of one markdown text: from the line `heading` to the next heading of its level
    or higher (or the end)."""
    match = re.search(rf"^{re.escape(heading)}\s*$", text, flags=re.MULTILINE)
    assert match, f"no {heading!r} line"
    level = heading.split()[0]
    end = re.compile(rf"^#{{1,{len(level)}}} ", flags=re.MULTILINE).search(text, match.end())
    return text[match.start() : end.start() if end else len(text)]


def summary_of(chapter: str) -> str:
    """The 요약 of a chapter: in a notebook, from "### 요약" to the end of its markdown cell."""
    if chapter == "intro":
        return summary_of_markdown((BOOK / "intro.md").read_text(encoding="utf-8"), "## 요약")
    if (BOOK / f"{chapter}.md").is_file():  # a chapter written in MyST Markdown (the playground)
        return summary_of_markdown((BOOK / f"{chapter}.md").read_text(encoding="utf-8"))
    notebook = json.loads((BOOK / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "markdown" and re.search(r"^### 요약\s*$", source, flags=re.MULTILINE):
            return summary_of_markdown(source)
    raise AssertionError(f"{chapter}: no ### 요약")


# --- the check ----------------------------------------------------------------------------

# What may follow a stem: a derivational syllable that makes a verb of a noun or the copula
# (수렴 + 하 + 고, 포화 + 되 + ㄴ, 방법 + 이 + ㅂ니다), then a final consonant joined to the
# syllable before it (나누 + ㅂ니다 = 나눕니다, 되 + ㄴ = 된), then at most three particles and
# endings of whole syllables (에서 + 는).
DERIVATIONAL = "하 해 했 되 돼 됐 시키 시켜 이".split()
FINALS = {"ㄴ": "\u11ab", "ㄹ": "\u11af", "ㅁ": "\u11b7", "ㅂ": "\u11b8", "ㅆ": "\u11bb"}
SUFFIXES = """
이 가 은 는 을 를 의 에 에서 에게 로 으로 와 과 도 만 까지 부터 보다 마다 처럼 만큼 나 이나
씩 당 별 들 째 간 중 뿐 대로 이라 라 이라는 라는 이란 란 인 일 임 이어서
다 니다 습니다 고 며 으며 면 으면 지 지만 게 도록 어 아 여 서 었 았 였 기 음
은 던 니 야 수록 므로 으므로 는다 려 려면 려고 면서 으면서 는데 거나 든지 다가 자
""".split()

# Everyday words (stems) a summary may use without a glossary entry: no technical terms here.
# A technical word belongs in the glossary (a definition row and an index row) instead.
EVERYDAY = """
것 수 때 곳 등 중 밖 위 아래 뒤 전 사이 가운데 근처 주위 대부분 모두 모든 각 어느 어떤 다른 그 이 이것 그곳
하나 두 세 네 다섯 여섯 열 천 백만 수십 첫 처음 마지막 몇 번 개 배 초 회 차례 정도 약 최대 이전 이후 미만 이번 오늘
가장 더 너무 아주 잘 다시 또는 그리고 다만 곧 따라서 역시 여전히 아직 함께 따로 직접 바로 그대로 정확히 잠시 계속
충분히 특히 실제로 적어도 매번 새로 지금 훨씬 처럼 만큼 달리 반면 대신 덕분 동안
대가 이유 결과 결론 조건 방법 방식 방향 선택 사항 수식 식 합 누적 한계 시간 속도 안전 기준 차이
예시 예제 목록 역할 성질 핵심 아이디어 변형 개선 일반 기본 특정 단위 단일 전체 중간 위치 순서 이름 용어 요약
글 책 장 본문 문서 페이지 표 노트북 코드 프로그램 프로그래밍 라이브러리 인자 설정 셀 반복문 호출 입력 출력 데이터
비트 바이트 컴퓨터 기계 정수 제곱 극한 측정값 규칙 실험 시험 시대 출처 강의 초판 독자 사이트 웹사이트 중국어
한국어 한국어판 번역문 튜토리얼 알고리즘 수학적 사실 숫자 쌍둥이 동반 자리 실제 시드끼리
같 다르 달라지 크 작 많 높 낮 넓 좁 짧 길 빠르 느리 나쁘 좋 쉽 비슷하 일정하 중요하 필요하 안정하 해롭 드물
없 않 있 아니 못 이르 두 쓰 쓰이 읽 보 보이 주 가 오가 나가 나오 나타나 드러나 일어나 사라지 남 남기 머물 벗어나
넘 넘나들 돌리 옮기 밟 만나 튕기 비켜 빠지 끌어들이 밀어내 붙잡 잡 견디 견주 걸리 버리 받 내려가 달리 알리
나누 더하 바꾸 바뀌 고치 고르 정하 정해지 만들 움직이 줄 줄어들 줄이 늘 커지 작아지 키우 낮추 높이 쌓 쌓이
되돌리 잘리 깨뜨리 바로잡 뒤처지 다루 돕 해치 가져오 실리 적히 구하 내
기억 설명 작용 상쇄 거부 선언 명시 재현 확인 일치 도달 사용 적용 복사 시작 출발 반복 저장 포함 정리 제안 유도
회복 향상 좌우 경고 안내 차지 끝 색인 용어집 거의 그것 그런 긴 깊이 나 달려 답 대하 데 드 따라 머무 쉬우 시도 용 여기 적 점 최근 후반
걸려 돌려 버려 써 빠져 튕겨 알려 고쳐 작아져 구해
""".split()


@functools.cache
def _jamo(text: str) -> str:
    return unicodedata.normalize("NFD", text)


_DERIVATIONAL_JAMO = ("", *(_jamo(d) for d in DERIVATIONAL))
_FINAL_JAMO = ("", *FINALS.values())
_SUFFIX_JAMO = tuple(sorted({_jamo(s) for s in SUFFIXES}))


@functools.cache
def _is_chain(rest: str, left: int = 3) -> bool:
    """Whether `rest` (in jamo) is at most `left` particles and endings of whole syllables."""
    return rest == "" or (
        left > 0 and any(rest.startswith(s) and _is_chain(rest[len(s) :], left - 1) for s in _SUFFIX_JAMO)
    )


@functools.cache
def _is_ending(rest: str) -> bool:
    """Whether `rest` (in jamo) may follow a stem: [derivational] [final consonant] [chain]."""
    for derivational in _DERIVATIONAL_JAMO:
        if rest.startswith(derivational):
            after = rest[len(derivational) :]
            for final in _FINAL_JAMO:
                if after.startswith(final) and _is_chain(after[len(final) :]):
                    return True
    return False


def _words(term: str) -> list[str]:
    return HANGUL_WORD.findall(term)


def plain_text(summary: str) -> str:
    """The summary's prose: code, maths, roles ({glue:text}`x`) and links taken out."""
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", " ", summary)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\$[^$]*\$", " ", text)
    return re.sub(r"\]\([^)]*\)", "]", text)


def rejected_uses(text: str, index_terms: list[str], rejected: list[str]) -> list[str]:
    """The rejected names that occur in `text` outside a longer index term (경사 하강법)."""
    text = re.sub(r"\s+", " ", text)
    found = set()
    for name in rejected:
        inside = [
            (m.start(), m.end())
            for term in index_terms
            if name in term and term != name
            for m in re.finditer(re.escape(term), text)
        ]
        for match in re.finditer(re.escape(name), text):
            if not any(start <= match.start() and match.end() <= end for start, end in inside):
                found.add(name)
    return sorted(found)


def unknown_words(text: str, lexicon: set[str]) -> list[str]:
    """The Hangul words of `text` that are not a lexicon stem followed by particles and endings."""
    stems = {_jamo(w) for w in lexicon} | {""}  # "" : a particle after code or maths
    unknown = []
    for word in HANGUL_WORD.findall(text):
        jamo = _jamo(word)
        if not any(jamo[:i] in stems and _is_ending(jamo[i:]) for i in range(len(jamo), -1, -1)):
            unknown.append(word)
    return sorted(set(unknown))


def register_faults(text: str) -> list[str]:
    """Sentence ends in another register: 해라체 (…이다. …한다.) or 해요체 (…해요.). 합쇼체
    ends in …니다."""
    end = r"(?=[.;:!?](?:\s|$)|\s*$|\s*\n\s*[-*] )"
    haera = re.findall(rf"[\uac00-\ud7a3]*[\uac00-\ud7a3](?<!니)다{end}", text)
    haeyo = re.findall(rf"[\uac00-\ud7a3]*[\uac00-\ud7a3]요{end}", text)
    return sorted(set(haera + haeyo))


def summary_problems(summary: str, index_terms: list[str], rejected: list[str], everyday: list[str]) -> list[str]:
    """What is wrong with one 요약: rejected names, words neither in the glossary's index nor
    everyday, sentences outside 합쇼체. Empty when the summary is clean."""
    text = plain_text(summary)
    body = re.sub(r"^#+ 요약\s*$", "", text, flags=re.MULTILINE)
    lexicon = {w for t in index_terms for w in _words(t)} | set(everyday)
    problems = [f"uses {name!r}, a name the glossary rejects" for name in rejected_uses(body, index_terms, rejected)]
    problems += [
        f"uses {word!r}, which is not built from a glossary term or an everyday word"
        for word in unknown_words(body, lexicon)
    ]
    problems += [f"ends a sentence outside 합쇼체: {word!r}" for word in register_faults(body)]
    return problems


def termbase() -> tuple[list[str], list[str]]:
    """The index's Korean terms and every rejected name of the variants table."""
    return [ko for ko, _ in korean_index()], [name for _, _, names in variants() for name in names]


def check_summary(summary: str) -> list[str]:
    index_terms, rejected = termbase()
    return summary_problems(summary, index_terms, rejected, EVERYDAY)


# --- the glossary -------------------------------------------------------------------------


def test_glossary_pairs_every_term_with_its_korean_name():
    rows = glossary_rows()
    entries = [r for r in rows if len(r) == 3]
    assert len(entries) == len(rows), "a definition row has three cells"
    assert len(entries) >= 80
    for row in entries:
        # A proper name (AMSGrad, MNIST) is written the same way in Korean text.
        assert HANGUL.search(row[1]) or row[1] == row[0], f"no Korean name for {row[0]!r}"
        assert len(row[-1]) > 20, f"no definition for {row[0]!r}"
    terms = [r[0] for r in entries]
    assert len(terms) == len(set(terms)), "a term is listed twice"
    korean = " ".join(r[1] for r in entries)
    for name in [
        "기울기 소실",
        "기울기 폭발",
        "지수 가중 평균",
        "학습률",
        "감쇠율",
        "편향 보정",
        "모멘텀",
        "엡실론",
        "경사 하강법",
        "가중치 감쇠",
        "기울기 클리핑",
        "과적합",
    ]:
        assert name in korean, name


def test_korean_index_is_sorted_and_every_entry_is_defined():
    index = korean_index()
    terms = [ko for ko, _ in index]
    assert len(index) >= 120
    assert terms == sorted(terms), "the index is in 가나다 order (Unicode order of Hangul syllables)"
    assert len(terms) == len(set(terms)), "a Korean term is listed twice"
    rows = glossary_rows()
    for ko, en in index:
        assert HANGUL.search(ko), ko
        # Defined: one definition row names both, word by word.
        assert any(
            all(w in r[1] for w in ko.split()) and all(w.lower() in r[0].lower() for w in en.split()) for r in rows
        ), f"index entry {ko} | {en} has no definition row"


def test_every_korean_name_of_a_definition_row_is_in_the_index():
    words = {w for ko, _ in korean_index() for w in _words(ko)}
    for row in glossary_rows():
        name = re.sub(r"\([^)]*\)", "", row[1])  # a parenthesis explains; it is not a name
        missing = [w for w in _words(name) if w not in words]
        assert not missing, f"{row[0]!r}: {missing} not in the Korean index"


def test_variants_name_the_gradient_and_choose_one_name_each():
    table = variants()
    index_terms, rejected = termbase()
    gradient = [row for row in table if row[0] == "gradient"]
    assert gradient and gradient[0][1] == "기울기"
    assert {"그레이디언트", "그래디언트"} <= set(gradient[0][2])
    for _, used, names in table:
        assert used in index_terms or not HANGUL.search(used), f"{used} is not in the index"
        for name in names:
            assert name not in index_terms, f"{name} is both used and rejected"
    assert len(rejected) == len(set(rejected))
    lexicon = {w for t in index_terms for w in _words(t)}
    assert not set(EVERYDAY) & lexicon, f"glossary words listed as everyday: {set(EVERYDAY) & lexicon}"
    assert not [w for w in EVERYDAY for name in rejected if name in w], "a rejected name listed as everyday"


def test_glossary_cells_fit_a_phone():
    """A 390-px column: no cell holds an unbreakable run of more than 30 characters."""
    for row in table_rows(glossary_text()):
        for cell in row:
            longest = max(
                (len(part) for part in re.split(r"[\s/–-]", re.sub(r"\$[^$]*\$|\{[\w:-]+\}`[^`]*`", "", cell))),
                default=0,
            )
            assert longest <= 30, f"cell too wide for a phone: {cell!r}"


# --- the summaries ------------------------------------------------------------------------


@pytest.mark.parametrize("chapter", ["intro", *CHAPTERS])
def test_summaries_use_the_glossary_terms(chapter):
    """Every Korean word of a 요약 is a glossary term or an everyday word, no rejected name
    occurs, and the register is 합쇼체."""
    problems = check_summary(summary_of(chapter))
    assert problems == [], f"{chapter}: " + "; ".join(problems)


# --- the check fails on faults ------------------------------------------------------------

CLEAN = "### 요약\n\n- RMSprop은 좌표마다 기울기를 제곱근으로 나눕니다. 경사 하강법과 달리 $\\eta$가 스텝 크기를 정합니다.\n"


def test_check_passes_a_clean_summary():
    assert check_summary(CLEAN) == []


@pytest.mark.parametrize("fault", ["그래디언트", "그레이디언트", "체인", "경사"])
def test_check_rejects_a_rejected_variant(fault):
    text = CLEAN.replace("기울기를", f"{fault}를")
    problems = check_summary(text)
    assert any(repr(fault) in p and "rejects" in p for p in problems), problems


def test_check_rejects_an_undefined_term():
    text = CLEAN.replace("제곱근으로", "헤시안 행렬의 대각 성분으로")
    problems = check_summary(text)
    assert any("헤시안" in p and "not built" in p for p in problems), problems


def test_check_rejects_the_other_register():
    text = CLEAN.replace("나눕니다.", "나눈다.").replace("정합니다.", "정하는 방법이다.")
    problems = [p for p in check_summary(text) if "합쇼체" in p]
    assert any("나눈다" in p for p in problems) and any("방법이다" in p for p in problems), problems
    problems = check_summary(CLEAN.replace("나눕니다.", "나눠요."))
    assert any("나눠요" in p and "합쇼체" in p for p in problems), problems


def test_check_ignores_code_and_maths():
    text = CLEAN + "- `RMSprop(lr=…)`와 {glue:text}`sweep_seconds`초, $\\sqrt{v}$를 씁니다.\n"
    assert check_summary(text) == []


if __name__ == "__main__":
    # Check 요약 drafts before they are pasted into a notebook:
    #   python tests/test_korean.py draft1.md draft2.md ...
    import sys

    failed = False
    for name in sys.argv[1:]:
        problems = check_summary(pathlib.Path(name).read_text(encoding="utf-8"))
        failed |= bool(problems)
        print(f"{name}: " + ("; ".join(problems) if problems else "ok"))
    sys.exit(1 if failed else 0)
