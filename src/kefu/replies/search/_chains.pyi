# Types of the compiled pinyin matcher in _chains.pyx.
from typing import Any

import numpy as np

from kefu.replies.search.postings import Postings

class Lists:
    def __init__(self, postings: Postings) -> None: ...

Chain = tuple[Any, ...]  # query.Chain: units with their tokens first

def anywhere(lists: Lists, chain: Chain, popular: Any, big: int, token_bits: int,
             pos_bits: int) -> tuple[np.ndarray, bool]: ...
def at_start(lists: Lists, start: Lists, chain: Chain, popular: Any, big: int,
             token_bits: int, pos_bits: int) -> tuple[np.ndarray, bool]: ...
def pair_sizes(lists: Lists, chain: Chain, token_bits: int) -> list[int]: ...
def possible(lists: Lists, chain: Chain, token_bits: int) -> bool: ...
