from query4code._gen.buf.validate import validate_pb2 as _validate_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
DOC_SOURCE_CACHE: DocSource
DOC_SOURCE_INSTALLED: DocSource
DOC_SOURCE_NONE: DocSource
DOC_SOURCE_UNSPECIFIED: DocSource
DOC_SOURCE_WEB: DocSource

class APIDoc(_message.Message):
    __slots__ = ["docstring", "location", "signature", "source", "truncated", "version"]
    DOCSTRING_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    docstring: str
    location: str
    signature: str
    source: DocSource
    truncated: bool
    version: str
    def __init__(self, signature: _Optional[str] = ..., docstring: _Optional[str] = ..., source: _Optional[_Union[DocSource, str]] = ..., location: _Optional[str] = ..., version: _Optional[str] = ..., truncated: bool = ...) -> None: ...

class APIInfo(_message.Message):
    __slots__ = ["api", "doc", "not_found", "popularity"]
    API_FIELD_NUMBER: _ClassVar[int]
    DOC_FIELD_NUMBER: _ClassVar[int]
    NOT_FOUND_FIELD_NUMBER: _ClassVar[int]
    POPULARITY_FIELD_NUMBER: _ClassVar[int]
    api: str
    doc: APIDoc
    not_found: str
    popularity: Popularity
    def __init__(self, api: _Optional[str] = ..., popularity: _Optional[_Union[Popularity, _Mapping]] = ..., doc: _Optional[_Union[APIDoc, _Mapping]] = ..., not_found: _Optional[str] = ...) -> None: ...

class LookupAPIsRequest(_message.Message):
    __slots__ = ["apis", "include_popular", "language", "max_doc_chars", "repository_path"]
    APIS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_POPULAR_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    MAX_DOC_CHARS_FIELD_NUMBER: _ClassVar[int]
    REPOSITORY_PATH_FIELD_NUMBER: _ClassVar[int]
    apis: _containers.RepeatedScalarFieldContainer[str]
    include_popular: bool
    language: str
    max_doc_chars: int
    repository_path: str
    def __init__(self, apis: _Optional[_Iterable[str]] = ..., include_popular: bool = ..., max_doc_chars: _Optional[int] = ..., language: _Optional[str] = ..., repository_path: _Optional[str] = ...) -> None: ...

class LookupAPIsResponse(_message.Message):
    __slots__ = ["apis"]
    APIS_FIELD_NUMBER: _ClassVar[int]
    apis: _containers.RepeatedCompositeFieldContainer[APIInfo]
    def __init__(self, apis: _Optional[_Iterable[_Union[APIInfo, _Mapping]]] = ...) -> None: ...

class Popularity(_message.Message):
    __slots__ = ["call_sites", "min_call_sites", "min_package_downloads", "package", "package_downloads", "popular", "reason"]
    CALL_SITES_FIELD_NUMBER: _ClassVar[int]
    MIN_CALL_SITES_FIELD_NUMBER: _ClassVar[int]
    MIN_PACKAGE_DOWNLOADS_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_DOWNLOADS_FIELD_NUMBER: _ClassVar[int]
    PACKAGE_FIELD_NUMBER: _ClassVar[int]
    POPULAR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    call_sites: int
    min_call_sites: int
    min_package_downloads: int
    package: str
    package_downloads: int
    popular: bool
    reason: str
    def __init__(self, call_sites: _Optional[int] = ..., package_downloads: _Optional[int] = ..., package: _Optional[str] = ..., popular: bool = ..., reason: _Optional[str] = ..., min_call_sites: _Optional[int] = ..., min_package_downloads: _Optional[int] = ...) -> None: ...

class RecordUsageRequest(_message.Message):
    __slots__ = ["call_counts", "repository"]
    class CallCountsEntry(_message.Message):
        __slots__ = ["key", "value"]
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    CALL_COUNTS_FIELD_NUMBER: _ClassVar[int]
    REPOSITORY_FIELD_NUMBER: _ClassVar[int]
    call_counts: _containers.ScalarMap[str, int]
    repository: str
    def __init__(self, repository: _Optional[str] = ..., call_counts: _Optional[_Mapping[str, int]] = ...) -> None: ...

class RecordUsageResponse(_message.Message):
    __slots__ = ["apis", "call_sites", "repositories"]
    APIS_FIELD_NUMBER: _ClassVar[int]
    CALL_SITES_FIELD_NUMBER: _ClassVar[int]
    REPOSITORIES_FIELD_NUMBER: _ClassVar[int]
    apis: int
    call_sites: int
    repositories: int
    def __init__(self, apis: _Optional[int] = ..., call_sites: _Optional[int] = ..., repositories: _Optional[int] = ...) -> None: ...

class DocSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
