"""Python client for the query4code services: annotate a function with a
realistic search query, submit and watch annotation jobs.

    from query4code import Client

    with Client("localhost:50053") as client:
        result = client.annotate(code, path="pkg/mod.py")
        print(result.query, result.score)
"""

from query4code.client import (
    APIDoc,
    AnnotateResult,
    Callee,
    Client,
    ContextReport,
    GitSource,
    JobEvent,
    Q4CError,
    Usage,
)

__all__ = [
    "APIDoc",
    "AnnotateResult",
    "Callee",
    "Client",
    "ContextReport",
    "GitSource",
    "JobEvent",
    "Q4CError",
    "Usage",
]
