from query4code._gen.buf.validate import validate_pb2 as _validate_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class APIDocContext(_message.Message):
    __slots__ = ["api", "doc"]
    API_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    api: str
    doc: str
    def __init__(self, api: _Optional[str] = ..., doc: _Optional[str] = ...) -> None: ...

class AnnotateOptions(_message.Message):
    __slots__ = ["keep_threshold", "max_context_tokens"]
    KEEP_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    MAX_CONTEXT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    keep_threshold: int
    max_context_tokens: int
    def __init__(self, keep_threshold: _Optional[int] = ..., max_context_tokens: _Optional[int] = ...) -> None: ...

class AnnotateRequest(_message.Message):
    __slots__ = ["api_docs", "callees", "function", "options"]
    API_DOCS_FIELD_NUMBER: _ClassVar[int]
    CALLEES_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    api_docs: _containers.RepeatedCompositeFieldContainer[APIDocContext]
    callees: _containers.RepeatedCompositeFieldContainer[CalleeContext]
    function: CodeFunction
    options: AnnotateOptions
    def __init__(self, function: _Optional[_Union[CodeFunction, _Mapping]] = ..., callees: _Optional[_Iterable[_Union[CalleeContext, _Mapping]]] = ..., api_docs: _Optional[_Iterable[_Union[APIDocContext, _Mapping]]] = ..., options: _Optional[_Union[AnnotateOptions, _Mapping]] = ...) -> None: ...

class AnnotateResponse(_message.Message):
    __slots__ = ["context", "explanation", "kept", "model", "prompt_version", "query", "score", "summary", "usage"]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    KEPT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PROMPT_VERSION_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    context: ContextReport
    explanation: str
    kept: bool
    model: str
    prompt_version: str
    query: str
    score: int
    summary: str
    usage: Usage
    def __init__(self, summary: _Optional[str] = ..., query: _Optional[str] = ..., score: _Optional[int] = ..., explanation: _Optional[str] = ..., kept: bool = ..., model: _Optional[str] = ..., prompt_version: _Optional[str] = ..., usage: _Optional[_Union[Usage, _Mapping]] = ..., context: _Optional[_Union[ContextReport, _Mapping]] = ...) -> None: ...

class CalleeContext(_message.Message):
    __slots__ = ["code", "id", "summary"]
    CODE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    code: str
    id: str
    summary: str
    def __init__(self, id: _Optional[str] = ..., summary: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class CodeFunction(_message.Message):
    __slots__ = ["code", "docstring", "id", "language", "path"]
    CODE_FIELD_NUMBER: _ClassVar[int]
    DOCSTRING_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    code: str
    docstring: str
    id: str
    language: str
    path: str
    def __init__(self, path: _Optional[str] = ..., code: _Optional[str] = ..., language: _Optional[str] = ..., docstring: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class ContextReport(_message.Message):
    __slots__ = ["api_docs_used", "callees_used", "dropped", "redactions"]
    API_DOCS_USED_FIELD_NUMBER: _ClassVar[int]
    CALLEES_USED_FIELD_NUMBER: _ClassVar[int]
    DROPPED_FIELD_NUMBER: _ClassVar[int]
    REDACTIONS_FIELD_NUMBER: _ClassVar[int]
    api_docs_used: _containers.RepeatedScalarFieldContainer[str]
    callees_used: _containers.RepeatedScalarFieldContainer[str]
    dropped: _containers.RepeatedScalarFieldContainer[str]
    redactions: int
    def __init__(self, callees_used: _Optional[_Iterable[str]] = ..., api_docs_used: _Optional[_Iterable[str]] = ..., dropped: _Optional[_Iterable[str]] = ..., redactions: _Optional[int] = ...) -> None: ...

class GenerateQueryRequest(_message.Message):
    __slots__ = ["function", "options", "summary"]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    function: CodeFunction
    options: GenerationOptions
    summary: str
    def __init__(self, function: _Optional[_Union[CodeFunction, _Mapping]] = ..., summary: _Optional[str] = ..., options: _Optional[_Union[GenerationOptions, _Mapping]] = ...) -> None: ...

class GenerateQueryResponse(_message.Message):
    __slots__ = ["model", "prompt_version", "query", "redactions", "usage"]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PROMPT_VERSION_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    REDACTIONS_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    model: str
    prompt_version: str
    query: str
    redactions: int
    usage: Usage
    def __init__(self, query: _Optional[str] = ..., model: _Optional[str] = ..., prompt_version: _Optional[str] = ..., usage: _Optional[_Union[Usage, _Mapping]] = ..., redactions: _Optional[int] = ...) -> None: ...

class GenerationOptions(_message.Message):
    __slots__ = ["max_context_tokens"]
    MAX_CONTEXT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    max_context_tokens: int
    def __init__(self, max_context_tokens: _Optional[int] = ...) -> None: ...

class InfoRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class InfoResponse(_message.Message):
    __slots__ = ["backend", "model", "priced", "prompt_version"]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PRICED_FIELD_NUMBER: _ClassVar[int]
    PROMPT_VERSION_FIELD_NUMBER: _ClassVar[int]
    backend: str
    model: str
    priced: bool
    prompt_version: str
    def __init__(self, backend: _Optional[str] = ..., model: _Optional[str] = ..., prompt_version: _Optional[str] = ..., priced: bool = ...) -> None: ...

class SummarizeRequest(_message.Message):
    __slots__ = ["api_docs", "callees", "function", "options"]
    API_DOCS_FIELD_NUMBER: _ClassVar[int]
    CALLEES_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    api_docs: _containers.RepeatedCompositeFieldContainer[APIDocContext]
    callees: _containers.RepeatedCompositeFieldContainer[CalleeContext]
    function: CodeFunction
    options: GenerationOptions
    def __init__(self, function: _Optional[_Union[CodeFunction, _Mapping]] = ..., callees: _Optional[_Iterable[_Union[CalleeContext, _Mapping]]] = ..., api_docs: _Optional[_Iterable[_Union[APIDocContext, _Mapping]]] = ..., options: _Optional[_Union[GenerationOptions, _Mapping]] = ...) -> None: ...

class SummarizeResponse(_message.Message):
    __slots__ = ["context", "model", "prompt_version", "summary", "usage"]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PROMPT_VERSION_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    context: ContextReport
    model: str
    prompt_version: str
    summary: str
    usage: Usage
    def __init__(self, summary: _Optional[str] = ..., model: _Optional[str] = ..., prompt_version: _Optional[str] = ..., usage: _Optional[_Union[Usage, _Mapping]] = ..., context: _Optional[_Union[ContextReport, _Mapping]] = ...) -> None: ...

class Usage(_message.Message):
    __slots__ = ["completion_tokens", "cost_usd", "llm_calls", "prompt_tokens"]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COST_USD_FIELD_NUMBER: _ClassVar[int]
    LLM_CALLS_FIELD_NUMBER: _ClassVar[int]
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    completion_tokens: int
    cost_usd: float
    llm_calls: int
    prompt_tokens: int
    def __init__(self, prompt_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ..., cost_usd: _Optional[float] = ..., llm_calls: _Optional[int] = ...) -> None: ...

class ValidateRequest(_message.Message):
    __slots__ = ["function", "options", "query"]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    function: CodeFunction
    options: GenerationOptions
    query: str
    def __init__(self, function: _Optional[_Union[CodeFunction, _Mapping]] = ..., query: _Optional[str] = ..., options: _Optional[_Union[GenerationOptions, _Mapping]] = ...) -> None: ...

class ValidateResponse(_message.Message):
    __slots__ = ["explanation", "model", "prompt_version", "redactions", "score", "usage"]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PROMPT_VERSION_FIELD_NUMBER: _ClassVar[int]
    REDACTIONS_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    explanation: str
    model: str
    prompt_version: str
    redactions: int
    score: int
    usage: Usage
    def __init__(self, score: _Optional[int] = ..., explanation: _Optional[str] = ..., model: _Optional[str] = ..., prompt_version: _Optional[str] = ..., usage: _Optional[_Union[Usage, _Mapping]] = ..., redactions: _Optional[int] = ...) -> None: ...
