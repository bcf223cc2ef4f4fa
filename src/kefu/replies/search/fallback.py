"""The last resort, when nothing matches what was typed, not even through a typo pass: a
part of it that does match (tier under 1, so below every real match).

Letters (pinyin, initials, codes) are matched by their longest matching start: their
syllables only make sense from the start (fhsjgj → fhsj 发货时间). A term of 汉字 is
matched by its longest matching part, wherever it stands: agents type and paste whole
phrases (我要退款, 为什么还没发货, 这件有没有M码的), and the words that find a reply are
rarely at the start. Parts of one length compete, title start above title above tags
and questions above body, then by usage; the panel says the result holds only a part.

Parts are first looked for between the words that ask, greet or fill (请问, 怎么办, 有没有,
a 呢 or 吗 at the end): without them, 马甲怎么办呢 found 怎么办呢 in a thousand example
questions before 马甲 in titles. Only if those parts match nothing is the whole phrase
tried.
"""

from __future__ import annotations

import itertools
import re

from kefu.replies.search import engine as E
from kefu.replies.search import query as Q
from kefu.replies.search.index import gram_key
from kefu.replies.search.match import Cands, Verify
from kefu.replies.search.pinyin import pinyin_groups
from kefu.replies.search.text import has_han

LONGEST_PART = 8  # parts longer than this are rarely found when the whole was not
MAX_PARTS = 96  # bound on the parts looked up for one long pasted phrase
# Replies verified per group beyond the most used few: a long part's candidates (replies
# holding its pairs) are often not replies holding it, and the parts are many.
MAX_VERIFY = 60
# Words of a buyer's sentence that say how it asks, not what about.
FILLER_WORDS = (
    "请问", "麻烦问一下", "问一下", "问下", "想问", "想知道", "我想", "我要", "我的", "我们",
    "帮我", "帮忙", "麻烦", "一下", "怎么办", "怎么弄", "怎么样", "怎么回事", "怎么", "如何",
    "为什么", "为啥", "什么情况", "是什么", "什么", "咋办", "咋回事", "咋", "啥", "能不能",
    "可不可以", "可以吗", "可以", "有没有", "是不是", "能否", "是否", "那个", "这个", "看下",
    "看看", "谢谢", "你好", "您好", "在吗", "亲亲")
FILLERS = re.compile("|".join(sorted(FILLER_WORDS, key=len, reverse=True)))  # longest first
SINGLE_STEPS = 6  # _longest_start: tries one character shorter each before doubling
END_PARTICLES = frozenset("吗呢啊呀吧哦嘛啦的了")  # fill only at the end of a run of words


def last_resort(s: E.Search, term: str) -> None:
    if has_han(term):
        content = _content(term)
        for allowed in ([content] if content is not None else []) + [None]:
            _longest_part(s, term, bodies=False, allowed=allowed)
            if not s.hits:
                _longest_part(s, term, bodies=True, allowed=allowed)
            if s.hits:
                return
    if not s.hits:
        _longest_start(s, term)


def _content(term: str) -> list[bool] | None:
    """Which characters of ``term`` are outside its fillers; None if all or none are."""
    keep = [True] * len(term)
    for m in FILLERS.finditer(term):
        keep[m.start():m.end()] = [False] * (m.end() - m.start())
    for i in range(len(term) - 1, -1, -1):  # 呢 of 马甲呢, 吧 and 哦 of 好吧哦
        if keep[i] and term[i] in END_PARTICLES and (i + 1 == len(term) or not keep[i + 1]):
            keep[i] = False
    return keep if any(keep) and not all(keep) else None


def _groups(s: E.Search, part: str, kind: str, pinyin: bool = False,
            fields: tuple[float, ...] = (5, 4, 3, 2)) -> list[tuple[float, Cands, Verify]]:
    """The part's literal groups of the given tiers (5 title start … 2 body), and with
    ``pinyin`` its pinyin ones, scaled."""
    found = [g for g in E.literal_groups(s.ix, part) if g[0] in fields]
    if pinyin and (atoms := Q.latin_atoms(part)) is not None:
        found += pinyin_groups(s.ix, atoms)
    # A tenth of the tier: 0.5 for a title start down to 0.2 for a body, so they keep
    # their order among themselves, below every match of the whole term.
    return [(t / 10, c, E.relabel(v, kind, scale=0.1)) for t, c, v in found]


def _longest_start(s: E.Search, term: str) -> None:
    """Whatever a start matches, a shorter start matches too. The longest start that
    matches is looked for from the whole term down: one character shorter at a time for
    six tries (most often the last few characters are what went wrong, and a search per
    length finds them soonest), then in steps that double, then by halving between the
    shortest start that matched nothing and the longest that matched: 60 letters
    matching nothing took 30 searches and take 10."""
    shortest = max(2, (len(term) + 1) // 2)  # a start this long is still what they meant

    def matches(cut: int) -> dict[int, E.Hit]:
        s.hits = {}
        E.run_tiers(s, _groups(s, term[:cut], "partial_", pinyin=True))
        return s.hits

    failed, found, hits, tries = len(term), 0, {}, 0  # shortest failed, longest found
    while not found and failed > shortest:
        tries += 1
        cut = max(shortest, failed - (1 if tries <= SINGLE_STEPS
                                      else 2 ** (tries - SINGLE_STEPS)))
        if hits := matches(cut):
            found = cut
        else:
            failed = cut
    best = hits
    while found and failed - found > 1:
        cut = (found + failed) // 2
        if hits := matches(cut):
            found, best = cut, hits
        else:
            failed = cut
    s.hits = best


def _longest_part(s: E.Search, term: str, bodies: bool, allowed: list[bool] | None
                  ) -> None:
    """Titles, tags and questions first (``bodies`` False): a word found there says more of
    what the reply is about, and their candidates are short; bodies only if none holds
    any part. With ``allowed``, only parts of the characters it marks."""
    ix = s.ix
    s.max_verify = MAX_VERIFY
    fields = (ix.body_grams,) if bodies else (ix.title_grams, ix.short_grams)
    tiers = (2,) if bodies else (5, 4, 3)
    # A part can match only where each of its neighbouring pairs occurs: one lookup per
    # pair of the term settles which parts are worth looking for.
    occurs = [any(f.lookup(gram_key(ord(a), ord(b))).size for f in fields)
              for a, b in itertools.pairwise(term)]
    budget = MAX_PARTS
    for length in range(min(len(term) - 1, LONGEST_PART), 1, -1):
        parts = [(i, part) for i in range(len(term) - length + 1)
                 if all(occurs[i:i + length - 1])
                 and (allowed is None or all(allowed[i:i + length]))
                 and has_han(part := term[i:i + length])]  # not the 11 of 双11
        parts = parts[:budget]
        budget -= len(parts)
        first_at = {part: i for i, part in reversed(parts)}  # a part typed twice: once
        groups = [g for part, i in first_at.items()
                  for g in _groups(s, part, "partial_" if i == 0 else "part_", fields=tiers)]
        if groups:
            E.run_tiers(s, groups)
        if s.hits or budget <= 0:
            return
