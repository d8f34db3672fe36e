from query4code._gen.buf.validate import validate_pb2 as _validate_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
EDGE_KIND_NAME_MATCHED: EdgeKind
EDGE_KIND_RESOLVED: EdgeKind
EDGE_KIND_UNSPECIFIED: EdgeKind

class APICall(_message.Message):
    __slots__ = ["api", "count"]
    API_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    api: str
    count: int
    def __init__(self, api: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class Callee(_message.Message):
    __slots__ = ["id", "kind"]
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: EdgeKind
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[_Union[EdgeKind, str]] = ...) -> None: ...

class Function(_message.Message):
    __slots__ = ["api_calls", "callees", "class_name", "code", "content_hash", "decorators", "docstring", "end_line", "id", "is_dunder", "is_test", "is_trivial", "language", "level", "path", "scc_id", "scc_size", "signature", "start_line"]
    API_CALLS_FIELD_NUMBER: _ClassVar[int]
    CALLEES_FIELD_NUMBER: _ClassVar[int]
    CLASS_NAME_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    DECORATORS_FIELD_NUMBER: _ClassVar[int]
    DOCSTRING_FIELD_NUMBER: _ClassVar[int]
    END_LINE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    IS_DUNDER_FIELD_NUMBER: _ClassVar[int]
    IS_TEST_FIELD_NUMBER: _ClassVar[int]
    IS_TRIVIAL_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    SCC_ID_FIELD_NUMBER: _ClassVar[int]
    SCC_SIZE_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    START_LINE_FIELD_NUMBER: _ClassVar[int]
    api_calls: _containers.RepeatedCompositeFieldContainer[APICall]
    callees: _containers.RepeatedCompositeFieldContainer[Callee]
    class_name: str
    code: str
    content_hash: str
    decorators: _containers.RepeatedScalarFieldContainer[str]
    docstring: str
    end_line: int
    id: str
    is_dunder: bool
    is_test: bool
    is_trivial: bool
    language: str
    level: int
    path: str
    scc_id: int
    scc_size: int
    signature: str
    start_line: int
    def __init__(self, id: _Optional[str] = ..., path: _Optional[str] = ..., start_line: _Optional[int] = ..., end_line: _Optional[int] = ..., code: _Optional[str] = ..., docstring: _Optional[str] = ..., signature: _Optional[str] = ..., class_name: _Optional[str] = ..., decorators: _Optional[_Iterable[str]] = ..., content_hash: _Optional[str] = ..., callees: _Optional[_Iterable[_Union[Callee, _Mapping]]] = ..., api_calls: _Optional[_Iterable[_Union[APICall, _Mapping]]] = ..., scc_id: _Optional[int] = ..., scc_size: _Optional[int] = ..., level: _Optional[int] = ..., is_test: bool = ..., is_dunder: bool = ..., is_trivial: bool = ..., language: _Optional[str] = ...) -> None: ...

class GitSource(_message.Message):
    __slots__ = ["revision", "url"]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    revision: str
    url: str
    def __init__(self, url: _Optional[str] = ..., revision: _Optional[str] = ...) -> None: ...

class ParseOptions(_message.Message):
    __slots__ = ["exclude", "include", "languages", "max_file_bytes", "skip_dunder", "skip_tests", "skip_trivial"]
    EXCLUDE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    MAX_FILE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SKIP_DUNDER_FIELD_NUMBER: _ClassVar[int]
    SKIP_TESTS_FIELD_NUMBER: _ClassVar[int]
    SKIP_TRIVIAL_FIELD_NUMBER: _ClassVar[int]
    exclude: _containers.RepeatedScalarFieldContainer[str]
    include: _containers.RepeatedScalarFieldContainer[str]
    languages: _containers.RepeatedScalarFieldContainer[str]
    max_file_bytes: int
    skip_dunder: bool
    skip_tests: bool
    skip_trivial: bool
    def __init__(self, include: _Optional[_Iterable[str]] = ..., exclude: _Optional[_Iterable[str]] = ..., skip_tests: bool = ..., skip_dunder: bool = ..., skip_trivial: bool = ..., max_file_bytes: _Optional[int] = ..., languages: _Optional[_Iterable[str]] = ...) -> None: ...

class ParseRepositoryRequest(_message.Message):
    __slots__ = ["options", "source"]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    options: ParseOptions
    source: Source
    def __init__(self, source: _Optional[_Union[Source, _Mapping]] = ..., options: _Optional[_Union[ParseOptions, _Mapping]] = ...) -> None: ...

class ParseRepositoryResponse(_message.Message):
    __slots__ = ["function", "stats"]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    function: Function
    stats: ParseStats
    def __init__(self, function: _Optional[_Union[Function, _Mapping]] = ..., stats: _Optional[_Union[ParseStats, _Mapping]] = ...) -> None: ...

class ParseStats(_message.Message):
    __slots__ = ["bytes", "commit", "cycles", "edges", "elapsed", "file_issues", "files", "functions", "license", "parse_error_files", "skipped", "skipped_files", "skipped_large_files", "syntax_error_functions"]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    CYCLES_FIELD_NUMBER: _ClassVar[int]
    EDGES_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    FILE_ISSUES_FIELD_NUMBER: _ClassVar[int]
    FUNCTIONS_FIELD_NUMBER: _ClassVar[int]
    LICENSE_FIELD_NUMBER: _ClassVar[int]
    PARSE_ERROR_FILES_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FILES_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_LARGE_FILES_FIELD_NUMBER: _ClassVar[int]
    SYNTAX_ERROR_FUNCTIONS_FIELD_NUMBER: _ClassVar[int]
    bytes: int
    commit: str
    cycles: int
    edges: int
    elapsed: _duration_pb2.Duration
    file_issues: _containers.RepeatedScalarFieldContainer[str]
    files: int
    functions: int
    license: str
    parse_error_files: int
    skipped: _containers.RepeatedCompositeFieldContainer[SkippedFile]
    skipped_files: int
    skipped_large_files: int
    syntax_error_functions: _containers.RepeatedCompositeFieldContainer[SyntaxErrorFunction]
    def __init__(self, files: _Optional[int] = ..., bytes: _Optional[int] = ..., functions: _Optional[int] = ..., edges: _Optional[int] = ..., cycles: _Optional[int] = ..., parse_error_files: _Optional[int] = ..., skipped_large_files: _Optional[int] = ..., skipped_files: _Optional[int] = ..., elapsed: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., commit: _Optional[str] = ..., file_issues: _Optional[_Iterable[str]] = ..., skipped: _Optional[_Iterable[_Union[SkippedFile, _Mapping]]] = ..., syntax_error_functions: _Optional[_Iterable[_Union[SyntaxErrorFunction, _Mapping]]] = ..., license: _Optional[str] = ...) -> None: ...

class SkippedFile(_message.Message):
    __slots__ = ["detail", "path", "reason"]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    detail: str
    path: str
    reason: str
    def __init__(self, path: _Optional[str] = ..., reason: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class Source(_message.Message):
    __slots__ = ["git", "local_path"]
    GIT_FIELD_NUMBER: _ClassVar[int]
    LOCAL_PATH_FIELD_NUMBER: _ClassVar[int]
    git: GitSource
    local_path: str
    def __init__(self, local_path: _Optional[str] = ..., git: _Optional[_Union[GitSource, _Mapping]] = ...) -> None: ...

class SyntaxErrorFunction(_message.Message):
    __slots__ = ["end_line", "id", "path", "start_line"]
    END_LINE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    START_LINE_FIELD_NUMBER: _ClassVar[int]
    end_line: int
    id: str
    path: str
    start_line: int
    def __init__(self, id: _Optional[str] = ..., path: _Optional[str] = ..., start_line: _Optional[int] = ..., end_line: _Optional[int] = ...) -> None: ...

class EdgeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
