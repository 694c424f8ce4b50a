"""The help-center search engine: pure Python + numpy, no Django models.

``SearchIndex`` holds the documents (one per article translation) in memory and answers
queries in English, Chinese or both; ``kefu.helpcenter.searching`` feeds it from the database
and is what the rest of Kefu calls. See ``engine`` for the index and ranking, ``analysis`` for
tokenisation and ``synonyms`` for the bilingual equivalence table.
"""

from kefu.helpcenter.search.analysis import QueryTerm, QueryTerms, analyze, analyze_query, normalize
from kefu.helpcenter.search.engine import Hit, IndexDoc, SearchIndex

__all__ = [
    "Hit",
    "IndexDoc",
    "QueryTerm",
    "QueryTerms",
    "SearchIndex",
    "analyze",
    "analyze_query",
    "normalize",
]
