"""Comment themes and tallies, computed once per data version.

Finding themes reads every matching comment and clusters them: the costly part of the
comment explorer; its counts (a grouped tally) and the response counts behind its
suppression check scan the survey too. They change only when the survey's responses or
comments do, so :class:`CommentCache` (one per application, built by ``create_app``) keeps
them under a key that names the filter and the survey's data version (its responses'
largest id and count, the newest comment analysis and the newest erasure of a person): a new
response, a deleted one, a re-read comment or an erased person's comments losing their text
make a new key, and the old entry ages out of the bounded LRU.
"""

from __future__ import annotations

from rapport.services.versioned_cache import VersionedCache

#: The comment explorer's cache: a :class:`VersionedCache` of themes, tallies and counts.
CommentCache = VersionedCache

__all__ = ["CommentCache"]
