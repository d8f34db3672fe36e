"""A thin typed client for the query4code annotator and orchestrator.

Works with Debian's python3-grpcio (1.51) and python3-protobuf (4.21) and
newer releases from PyPI. See docs/api.md for the RPCs, their errors and
limits.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import grpc

from query4code._gen.query4code.annotator.v1 import annotator_pb2, annotator_pb2_grpc
from query4code._gen.query4code.orchestrator.v1 import orchestrator_pb2, orchestrator_pb2_grpc
from query4code._gen.query4code.parser.v1 import parser_pb2

# The servers' default message cap (platform/config.DefaultMaxMsgBytes).
MAX_MESSAGE_BYTES = 16 << 20

# Same policy as the Go clients (platform/client.ServiceConfig): round-robin
# over every address a name resolves to, up to 4 attempts on UNAVAILABLE.
SERVICE_CONFIG = json.dumps({
    "loadBalancingConfig": [{"round_robin": {}}],
    "methodConfig": [{
        "name": [{}],
        "retryPolicy": {
            "maxAttempts": 4,
            "initialBackoff": "0.1s",
            "maxBackoff": "2s",
            "backoffMultiplier": 2,
            "retryableStatusCodes": ["UNAVAILABLE"],
        },
    }],
})

DEFAULT_TIMEOUT = 120.0
DEFAULT_BATCH_CONCURRENCY = 8
DEFAULT_WATCH_RECONNECTS = 8
DEFAULT_WATCH_BACKOFF = 0.2
_MAX_WATCH_BACKOFF = 5.0


class Q4CError(Exception):
    """A failed call: the gRPC status code and the server's message."""

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message

    @classmethod
    def from_rpc(cls, err: grpc.RpcError, what: str) -> "Q4CError":
        code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
        details = err.details() if hasattr(err, "details") else str(err)
        return cls(code, f"{what}: {details}")


@dataclass(frozen=True)
class Callee:
    """A function the annotated function calls: its summary, or its code
    when it is in the same call cycle."""

    id: str
    summary: str = ""
    code: str = ""


@dataclass(frozen=True)
class APIDoc:
    """Documentation of a third-party API the function calls."""

    api: str
    doc: str


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    llm_calls: int


@dataclass(frozen=True)
class ContextReport:
    callees_used: Tuple[str, ...]
    api_docs_used: Tuple[str, ...]
    dropped: Tuple[str, ...]
    redactions: int


@dataclass(frozen=True)
class AnnotateResult:
    """What Annotate produced. score is 0-3: 3 answers and exceeds the need,
    2 satisfies a category of it, 1 meets less than half, 0 barely related."""

    summary: str
    query: str
    score: int
    explanation: str
    kept: bool
    model: str
    prompt_version: str
    usage: Usage
    context: ContextReport

    @classmethod
    def from_proto(cls, resp: annotator_pb2.AnnotateResponse) -> "AnnotateResult":
        u, c = resp.usage, resp.context
        return cls(
            summary=resp.summary,
            query=resp.query,
            score=resp.score,
            explanation=resp.explanation,
            kept=resp.kept,
            model=resp.model,
            prompt_version=resp.prompt_version,
            usage=Usage(u.prompt_tokens, u.completion_tokens, u.cost_usd, u.llm_calls),
            context=ContextReport(tuple(c.callees_used), tuple(c.api_docs_used), tuple(c.dropped), c.redactions),
        )


@dataclass(frozen=True)
class GitSource:
    """A git repository (https) at a branch, tag or commit; empty revision
    means the default branch."""

    url: str
    revision: str = ""


@dataclass(frozen=True)
class JobEvent:
    """One event of a job. kind is "progress", "pair", "error" or "done";
    message is the matching protobuf message (Progress, Record, JobError or
    JobDone)."""

    sequence: int
    kind: str
    message: Any
    raw: orchestrator_pb2.JobEvent = field(repr=False)

    @classmethod
    def from_proto(cls, ev: orchestrator_pb2.JobEvent) -> "JobEvent":
        kind = ev.WhichOneof("kind") or ""
        return cls(sequence=ev.sequence, kind=kind, message=getattr(ev, kind) if kind else None, raw=ev)


SourceLike = Union[str, GitSource, parser_pb2.Source]


def to_source(src: SourceLike) -> parser_pb2.Source:
    """A directory path (on the orchestrator's machine), an https URL (a git
    repository at its default branch), a GitSource or a Source message."""
    if isinstance(src, parser_pb2.Source):
        return src
    if isinstance(src, GitSource):
        return parser_pb2.Source(git=parser_pb2.GitSource(url=src.url, revision=src.revision))
    if isinstance(src, str) and src:
        if src.startswith("https://"):
            return parser_pb2.Source(git=parser_pb2.GitSource(url=src))
        return parser_pb2.Source(local_path=src)
    raise ValueError(f"not a source: {src!r}")


def is_local_target(addr: str) -> bool:
    """True when a gRPC target stays on this machine: a unix socket,
    localhost or a loopback IP."""
    target = addr
    scheme, sep, rest = target.partition(":")
    if sep and scheme.lower() in ("unix", "unix-abstract"):
        return True
    if sep and scheme.lower() in ("dns", "ipv4", "ipv6", "passthrough"):
        target = rest[2:].partition("/")[2] if rest.startswith("//") else rest
    host = target
    if host.startswith("["):
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    host = host.lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Client:
    """Calls the annotator (annotate, annotate_batch) or the orchestrator
    (submit_job, watch_job, get_job, cancel_job) at addr, e.g.
    "localhost:50053". Safe to share between threads. Use as a context
    manager or call close()."""

    def __init__(
        self,
        addr: str,
        token: Optional[str] = None,
        *,
        tls: bool = False,
        root_certificates: Optional[bytes] = None,
        allow_insecure_token: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        watch_reconnects: int = DEFAULT_WATCH_RECONNECTS,
        watch_backoff: float = DEFAULT_WATCH_BACKOFF,
    ):
        if not addr:
            raise ValueError("empty address")
        tls = tls or root_certificates is not None
        if token and not tls and not allow_insecure_token and not is_local_target(addr):
            raise ValueError(
                f"refusing to send a bearer token without TLS to {addr}: pass tls=True or allow_insecure_token=True")
        options = [
            ("grpc.service_config", SERVICE_CONFIG),
            ("grpc.enable_retries", 1),
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.keepalive_timeout_ms", 10_000),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ]
        self._metadata: Tuple[Tuple[str, str], ...] = ()
        if tls:
            creds = grpc.ssl_channel_credentials(root_certificates=root_certificates)
            if token:
                creds = grpc.composite_channel_credentials(creds, grpc.access_token_call_credentials(token))
            self._channel = grpc.secure_channel(addr, creds, options=options)
        else:
            if token:
                self._metadata = (("authorization", f"Bearer {token}"),)
            self._channel = grpc.insecure_channel(addr, options=options)
        self._annotator = annotator_pb2_grpc.AnnotatorServiceStub(self._channel)
        self._orchestrator = orchestrator_pb2_grpc.OrchestratorServiceStub(self._channel)
        self.timeout = timeout
        self.watch_reconnects = watch_reconnects
        self.watch_backoff = watch_backoff

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def annotator(self) -> annotator_pb2_grpc.AnnotatorServiceStub:
        """The generated stub, for Summarize, GenerateQuery and Validate."""
        return self._annotator

    @property
    def orchestrator(self) -> orchestrator_pb2_grpc.OrchestratorServiceStub:
        """The generated stub, for ListJobs and AnnotateRepository."""
        return self._orchestrator

    def _unary(self, method, request, what: str, timeout: Optional[float]):
        try:
            return method(request, timeout=self.timeout if timeout is None else timeout, metadata=self._metadata)
        except grpc.RpcError as err:
            raise Q4CError.from_rpc(err, what) from err

    # --- annotator ---------------------------------------------------------

    def annotate(
        self,
        code: str,
        path: str,
        language: str = "python",
        docstring: Optional[str] = None,
        callees: Optional[Sequence[Callee]] = None,
        api_docs: Optional[Sequence[APIDoc]] = None,
        *,
        function_id: str = "",
        keep_threshold: Optional[int] = None,
        max_context_tokens: int = 0,
        timeout: Optional[float] = None,
    ) -> AnnotateResult:
        """Summary, search query and 0-3 score for one function. Raises
        Q4CError (INVALID_ARGUMENT past a size cap; when the LLM failed
        after the annotator's own retries: ABORTED, RESOURCE_EXHAUSTED or
        DEADLINE_EXCEEDED for an outage, FAILED_PRECONDITION for an unusable
        answer or a rejected request; see docs/api.md, "Retry contract")."""
        if not path:
            raise ValueError("path is required")
        if not code:
            raise ValueError("code is required")
        if keep_threshold is not None and not 0 <= keep_threshold <= 3:
            raise ValueError(f"keep_threshold {keep_threshold} is outside 0..3")
        options = annotator_pb2.AnnotateOptions(max_context_tokens=max_context_tokens)
        if keep_threshold is not None:
            options.keep_threshold = keep_threshold
        req = annotator_pb2.AnnotateRequest(
            function=annotator_pb2.CodeFunction(
                path=path, code=code, language=language, docstring=docstring or "", id=function_id),
            callees=[annotator_pb2.CalleeContext(id=c.id, summary=c.summary, code=c.code) for c in callees or ()],
            api_docs=[annotator_pb2.APIDocContext(api=d.api, doc=d.doc) for d in api_docs or ()],
            options=options,
        )
        resp = self._unary(self._annotator.Annotate, req, f"annotate {function_id or path}", timeout)
        return AnnotateResult.from_proto(resp)

    def annotate_batch(
        self, requests: Sequence[Mapping[str, Any]], concurrency: int = DEFAULT_BATCH_CONCURRENCY,
    ) -> List[Union[AnnotateResult, Exception]]:
        """Annotates every request (a dict of annotate's keyword arguments)
        with at most concurrency calls in flight. Returns one item per
        request, in input order: an AnnotateResult, or the exception
        (Q4CError, ValueError) that item raised."""
        if concurrency < 1:
            raise ValueError(f"concurrency {concurrency} must be at least 1")

        def one(kwargs: Mapping[str, Any]) -> Union[AnnotateResult, Exception]:
            try:
                return self.annotate(**kwargs)
            except (Q4CError, ValueError, TypeError) as err:
                return err

        if not requests:
            return []
        with ThreadPoolExecutor(max_workers=min(concurrency, len(requests))) as pool:
            return list(pool.map(one, requests))

    # --- orchestrator --------------------------------------------------------

    def submit_job(
        self,
        sources: Sequence[SourceLike],
        *,
        keep_threshold: Optional[int] = None,
        concurrency: int = 0,
        budget_usd: float = 0.0,
        output_dir: str = "",
        max_context_tokens: int = 0,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        skip_tests: bool = False,
        skip_dunder: bool = False,
        skip_trivial: bool = False,
        licenses: Sequence[str] = (),
        decontaminate_paths: Sequence[str] = (),
        keep_contaminated: bool = False,
        near_duplicate_threshold: float = 0.0,
        keep_near_duplicates: bool = False,
        splits: Sequence[float] = (),
        idempotency_key: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> str:
        """Starts a job and returns its id. Without an idempotency_key a
        random one is sent, so the channel's retries never start two jobs.

        licenses (SPDX ids or "permissive"), decontaminate_paths (evaluation
        code on the orchestrator's machine), near_duplicate_threshold (0:
        0.85) and splits (train, validation, test shares adding up to 1)
        make a training-ready dataset; see docs/api.md, "Training-ready
        datasets". The orchestrator refuses bad values with INVALID_ARGUMENT."""
        if not sources:
            raise ValueError("at least one source is required")
        options = orchestrator_pb2.JobOptions(
            concurrency=concurrency,
            budget_usd=budget_usd,
            output_dir=output_dir,
            max_context_tokens=max_context_tokens,
            parse=parser_pb2.ParseOptions(
                include=list(include), exclude=list(exclude),
                skip_tests=skip_tests, skip_dunder=skip_dunder, skip_trivial=skip_trivial),
            splits=list(splits),
        )
        options.filters.licenses.extend(licenses)
        options.filters.decontaminate_paths.extend(decontaminate_paths)
        options.filters.keep_contaminated = keep_contaminated
        options.filters.near_duplicate_threshold = near_duplicate_threshold
        options.filters.keep_near_duplicates = keep_near_duplicates
        if keep_threshold is not None:
            options.keep_threshold = keep_threshold
        req = orchestrator_pb2.SubmitJobRequest(
            sources=[to_source(s) for s in sources],
            options=options,
            idempotency_key=idempotency_key or "q4c-py-" + secrets.token_hex(16),
        )
        return self._unary(self._orchestrator.SubmitJob, req, "submit job", timeout).job_id

    def get_job(self, job_id: str, timeout: Optional[float] = None) -> orchestrator_pb2.Job:
        return self._unary(self._orchestrator.GetJob, orchestrator_pb2.GetJobRequest(job_id=job_id),
                           f"get job {job_id}", timeout).job

    def cancel_job(self, job_id: str, timeout: Optional[float] = None) -> orchestrator_pb2.Job:
        return self._unary(self._orchestrator.CancelJob, orchestrator_pb2.CancelJobRequest(job_id=job_id),
                           f"cancel job {job_id}", timeout).job

    def watch_job(self, job_id: str, after_sequence: int = 0) -> Iterator[JobEvent]:
        """Yields the job's events with a sequence above after_sequence,
        ending after the done event. When the stream breaks with UNAVAILABLE
        or closes early it reconnects from the last event yielded, so no
        event is lost or repeated; after watch_reconnects failed reconnects
        in a row (or on any other error) it raises Q4CError."""
        last = after_sequence
        failures, backoff = 0, self.watch_backoff
        while True:
            req = orchestrator_pb2.WatchJobRequest(job_id=job_id, after_sequence=last)
            stream = self._orchestrator.WatchJob(req, metadata=self._metadata)
            try:
                for resp in stream:
                    ev = resp.event
                    if not resp.HasField("event") or ev.sequence <= last:
                        continue  # a server replaying from an older point
                    last = ev.sequence
                    failures, backoff = 0, self.watch_backoff
                    yield JobEvent.from_proto(ev)
                    if ev.WhichOneof("kind") == "done":
                        return
                cause: Q4CError = Q4CError(grpc.StatusCode.UNAVAILABLE, "stream ended before the done event")
            except grpc.RpcError as err:
                cause = Q4CError.from_rpc(err, f"watch job {job_id} after sequence {last}")
                if err.code() != grpc.StatusCode.UNAVAILABLE:
                    raise cause from err
            finally:
                stream.cancel()
            if failures >= self.watch_reconnects:
                raise cause
            failures += 1
            time.sleep(backoff)
            backoff = min(2 * backoff, _MAX_WATCH_BACKOFF)


__all__ = [
    "APIDoc", "AnnotateResult", "Callee", "Client", "ContextReport", "GitSource", "JobEvent", "Q4CError",
    "Usage", "is_local_target", "to_source",
]
