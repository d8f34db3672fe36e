from query4code._gen.buf.validate import validate_pb2 as _validate_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from query4code._gen.query4code.parser.v1 import parser_pb2 as _parser_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
JOB_STATE_CANCELLED: JobState
JOB_STATE_FAILED: JobState
JOB_STATE_QUEUED: JobState
JOB_STATE_RUNNING: JobState
JOB_STATE_SUCCEEDED: JobState
JOB_STATE_UNSPECIFIED: JobState
STAGE_ANNOTATING: Stage
STAGE_PARSING: Stage
STAGE_UNSPECIFIED: Stage
STAGE_WRITING: Stage

class AnnotateRepositoryRequest(_message.Message):
    __slots__ = ["idempotency_key", "options", "sources"]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    options: JobOptions
    sources: _containers.RepeatedCompositeFieldContainer[_parser_pb2.Source]
    def __init__(self, sources: _Optional[_Iterable[_Union[_parser_pb2.Source, _Mapping]]] = ..., options: _Optional[_Union[JobOptions, _Mapping]] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class AnnotateRepositoryResponse(_message.Message):
    __slots__ = ["event", "job_id"]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    event: JobEvent
    job_id: str
    def __init__(self, job_id: _Optional[str] = ..., event: _Optional[_Union[JobEvent, _Mapping]] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ["job_id"]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class CancelJobResponse(_message.Message):
    __slots__ = ["job"]
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class DatasetFilters(_message.Message):
    __slots__ = ["decontaminate_paths", "keep_contaminated", "keep_dunder", "keep_duplicates", "keep_near_duplicates", "keep_tests", "keep_trivial", "licenses", "near_duplicate_plan", "near_duplicate_threshold"]
    DECONTAMINATE_PATHS_FIELD_NUMBER: _ClassVar[int]
    KEEP_CONTAMINATED_FIELD_NUMBER: _ClassVar[int]
    KEEP_DUNDER_FIELD_NUMBER: _ClassVar[int]
    KEEP_DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    KEEP_NEAR_DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    KEEP_TESTS_FIELD_NUMBER: _ClassVar[int]
    KEEP_TRIVIAL_FIELD_NUMBER: _ClassVar[int]
    LICENSES_FIELD_NUMBER: _ClassVar[int]
    NEAR_DUPLICATE_PLAN_FIELD_NUMBER: _ClassVar[int]
    NEAR_DUPLICATE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    decontaminate_paths: _containers.RepeatedScalarFieldContainer[str]
    keep_contaminated: bool
    keep_dunder: bool
    keep_duplicates: bool
    keep_near_duplicates: bool
    keep_tests: bool
    keep_trivial: bool
    licenses: _containers.RepeatedScalarFieldContainer[str]
    near_duplicate_plan: str
    near_duplicate_threshold: float
    def __init__(self, keep_tests: bool = ..., keep_dunder: bool = ..., keep_trivial: bool = ..., keep_duplicates: bool = ..., near_duplicate_threshold: _Optional[float] = ..., keep_near_duplicates: bool = ..., decontaminate_paths: _Optional[_Iterable[str]] = ..., keep_contaminated: bool = ..., licenses: _Optional[_Iterable[str]] = ..., near_duplicate_plan: _Optional[str] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ["job_id"]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    job_id: str
    def __init__(self, job_id: _Optional[str] = ...) -> None: ...

class GetJobResponse(_message.Message):
    __slots__ = ["job"]
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: Job
    def __init__(self, job: _Optional[_Union[Job, _Mapping]] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ["created_at", "error", "idempotency_key", "job_id", "options", "output_dir", "progress", "sources", "state", "updated_at"]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_DIR_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    created_at: _timestamp_pb2.Timestamp
    error: str
    idempotency_key: str
    job_id: str
    options: JobOptions
    output_dir: str
    progress: Progress
    sources: _containers.RepeatedCompositeFieldContainer[_parser_pb2.Source]
    state: JobState
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, job_id: _Optional[str] = ..., state: _Optional[_Union[JobState, str]] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., sources: _Optional[_Iterable[_Union[_parser_pb2.Source, _Mapping]]] = ..., options: _Optional[_Union[JobOptions, _Mapping]] = ..., progress: _Optional[_Union[Progress, _Mapping]] = ..., output_dir: _Optional[str] = ..., error: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class JobDone(_message.Message):
    __slots__ = ["budget_reached", "error", "output_dir", "progress", "state"]
    BUDGET_REACHED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_DIR_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    budget_reached: bool
    error: str
    output_dir: str
    progress: Progress
    state: JobState
    def __init__(self, state: _Optional[_Union[JobState, str]] = ..., output_dir: _Optional[str] = ..., progress: _Optional[_Union[Progress, _Mapping]] = ..., error: _Optional[str] = ..., budget_reached: bool = ...) -> None: ...

class JobError(_message.Message):
    __slots__ = ["fatal", "function", "message", "repository"]
    FATAL_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    fatal: bool
    function: str
    message: str
    repository: str
    def __init__(self, message: _Optional[str] = ..., repository: _Optional[str] = ..., function: _Optional[str] = ..., fatal: bool = ...) -> None: ...

class JobEvent(_message.Message):
    __slots__ = ["done", "error", "pair", "progress", "sequence", "time"]
    DONE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    PAIR_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    done: JobDone
    error: JobError
    pair: Record
    progress: Progress
    sequence: int
    time: _timestamp_pb2.Timestamp
    def __init__(self, sequence: _Optional[int] = ..., time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., progress: _Optional[_Union[Progress, _Mapping]] = ..., pair: _Optional[_Union[Record, _Mapping]] = ..., error: _Optional[_Union[JobError, _Mapping]] = ..., done: _Optional[_Union[JobDone, _Mapping]] = ...) -> None: ...

class JobOptions(_message.Message):
    __slots__ = ["budget_usd", "concurrency", "filters", "keep_threshold", "max_context_tokens", "output_dir", "parse", "splits"]
    BUDGET_USD_FIELD_NUMBER: _ClassVar[int]
    CONCURRENCY_FIELD_NUMBER: _ClassVar[int]
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    KEEP_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    MAX_CONTEXT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_DIR_FIELD_NUMBER: _ClassVar[int]
    PARSE_FIELD_NUMBER: _ClassVar[int]
    SPLITS_FIELD_NUMBER: _ClassVar[int]
    budget_usd: float
    concurrency: int
    filters: DatasetFilters
    keep_threshold: int
    max_context_tokens: int
    output_dir: str
    parse: _parser_pb2.ParseOptions
    splits: _containers.RepeatedScalarFieldContainer[float]
    def __init__(self, keep_threshold: _Optional[int] = ..., concurrency: _Optional[int] = ..., budget_usd: _Optional[float] = ..., output_dir: _Optional[str] = ..., parse: _Optional[_Union[_parser_pb2.ParseOptions, _Mapping]] = ..., max_context_tokens: _Optional[int] = ..., filters: _Optional[_Union[DatasetFilters, _Mapping]] = ..., splits: _Optional[_Iterable[float]] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "state"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: JobState
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[JobState, str]] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ["jobs", "next_page_token"]
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Progress(_message.Message):
    __slots__ = ["cache_hits", "calls_done", "calls_total", "completion_tokens", "cost_usd", "functions_done", "functions_excluded", "functions_failed", "functions_total", "llm_calls", "pairs_kept", "pairs_rejected", "prompt_tokens", "repositories_parsed", "repositories_total", "stage"]
    CACHE_HITS_FIELD_NUMBER: _ClassVar[int]
    CALLS_DONE_FIELD_NUMBER: _ClassVar[int]
    CALLS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    FUNCTIONS_DONE_FIELD_NUMBER: _ClassVar[int]
    FUNCTIONS_EXCLUDED_FIELD_NUMBER: _ClassVar[int]
    FUNCTIONS_FAILED_FIELD_NUMBER: _ClassVar[int]
    FUNCTIONS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    LLM_CALLS_FIELD_NUMBER: _ClassVar[int]
    PAIRS_KEPT_FIELD_NUMBER: _ClassVar[int]
    PAIRS_REJECTED_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    REPOSITORIES_PARSED_FIELD_NUMBER: _ClassVar[int]
    REPOSITORIES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    cache_hits: int
    calls_done: int
    calls_total: int
    completion_tokens: int
    cost_usd: float
    functions_done: int
    functions_excluded: int
    functions_failed: int
    functions_total: int
    llm_calls: int
    pairs_kept: int
    pairs_rejected: int
    prompt_tokens: int
    repositories_parsed: int
    repositories_total: int
    stage: Stage
    def __init__(self, stage: _Optional[_Union[Stage, str]] = ..., repositories_total: _Optional[int] = ..., repositories_parsed: _Optional[int] = ..., functions_total: _Optional[int] = ..., functions_done: _Optional[int] = ..., pairs_kept: _Optional[int] = ..., pairs_rejected: _Optional[int] = ..., functions_failed: _Optional[int] = ..., cache_hits: _Optional[int] = ..., llm_calls: _Optional[int] = ..., prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ..., cost_usd: _Optional[float] = ..., calls_total: _Optional[int] = ..., calls_done: _Optional[int] = ..., functions_excluded: _Optional[int] = ...) -> None: ...

class Record(_message.Message):
    __slots__ = ["apis", "callees", "code", "commit", "completion_tokens", "cost_usd", "docs_used", "docstring", "end_line", "explanation", "function", "id", "kept", "language", "license", "model", "path", "prompt_tokens", "prompt_version", "query", "repo", "score", "split", "start_line", "summary"]
    APIS_FIELD_NUMBER: _ClassVar[int]
    CALLEES_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    DOCSTRING_FIELD_NUMBER: _ClassVar[int]
    DOCS_USED_FIELD_NUMBER: _ClassVar[int]
    END_LINE_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    KEPT_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    LICENSE_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    PROMPT_VERSION_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    REPO_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SPLIT_FIELD_NUMBER: _ClassVar[int]
    START_LINE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    apis: _containers.RepeatedScalarFieldContainer[str]
    callees: _containers.RepeatedScalarFieldContainer[str]
    code: str
    commit: str
    completion_tokens: int
    cost_usd: float
    docs_used: _containers.RepeatedScalarFieldContainer[str]
    docstring: str
    end_line: int
    explanation: str
    function: str
    id: str
    kept: bool
    language: str
    license: str
    model: str
    path: str
    prompt_tokens: int
    prompt_version: str
    query: str
    repo: str
    score: int
    split: str
    start_line: int
    summary: str
    def __init__(self, id: _Optional[str] = ..., repo: _Optional[str] = ..., commit: _Optional[str] = ..., path: _Optional[str] = ..., start_line: _Optional[int] = ..., end_line: _Optional[int] = ..., function: _Optional[str] = ..., language: _Optional[str] = ..., code: _Optional[str] = ..., docstring: _Optional[str] = ..., summary: _Optional[str] = ..., query: _Optional[str] = ..., score: _Optional[int] = ..., explanation: _Optional[str] = ..., kept: bool = ..., model: _Optional[str] = ..., prompt_version: _Optional[str] = ..., callees: _Optional[_Iterable[str]] = ..., apis: _Optional[_Iterable[str]] = ..., docs_used: _Optional[_Iterable[str]] = ..., prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ..., cost_usd: _Optional[float] = ..., split: _Optional[str] = ..., license: _Optional[str] = ...) -> None: ...

class SubmitJobRequest(_message.Message):
    __slots__ = ["idempotency_key", "options", "sources"]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    options: JobOptions
    sources: _containers.RepeatedCompositeFieldContainer[_parser_pb2.Source]
    def __init__(self, sources: _Optional[_Iterable[_Union[_parser_pb2.Source, _Mapping]]] = ..., options: _Optional[_Union[JobOptions, _Mapping]] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class SubmitJobResponse(_message.Message):
    __slots__ = ["existing", "job_id"]
    EXISTING_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    existing: bool
    job_id: str
    def __init__(self, job_id: _Optional[str] = ..., existing: bool = ...) -> None: ...

class WatchJobRequest(_message.Message):
    __slots__ = ["after_sequence", "job_id"]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    after_sequence: int
    job_id: str
    def __init__(self, job_id: _Optional[str] = ..., after_sequence: _Optional[int] = ...) -> None: ...

class WatchJobResponse(_message.Message):
    __slots__ = ["event"]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: JobEvent
    def __init__(self, event: _Optional[_Union[JobEvent, _Mapping]] = ...) -> None: ...

class JobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class Stage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
