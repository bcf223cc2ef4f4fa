"""Instant search over the reply library (汉字, pinyin, initials, mixed, typos, shortcuts)."""
