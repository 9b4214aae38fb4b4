"""digest: forum questions and answers, and the dates that follow, as tailored email digests."""

__version__ = "0.1.0"
