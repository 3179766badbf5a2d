"""Write the typed declarations of the other AWS event streams from botocore's service models.

Run ``python -m tests.service_codegen`` after a botocore upgrade; tests/test_services_codegen.py
checks that the committed modules are what this writes from the installed models. Every
shape an event-stream union reaches becomes one frozen dataclass on ``eventstream.bedrock``'s
declaration machinery (``eventstream.bedrock.engine``): members in ``snake_case`` (the wire
key kept when it is not their ``lowerCamel`` form), unions as ``UnionMember`` classes plus an
``Unknown*`` class for members a later model adds, documents as ``Any``, timestamps as their
wire text. Exceptions get the HTTP status the model gives and botocore's verdict on retrying.
"""

from __future__ import annotations

import keyword
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.retries import standard

ROOT = Path(__file__).resolve().parent.parent

Shape = Any


@dataclass
class Service:
    """One service: the module to write and our name for each stream operation."""

    name: str
    module: str
    title: str
    streams: dict[str, str]  # operation -> stream name
    #: Status of an exception the model gives none (sagemaker-runtime's stream errors).
    default_status: int = 500


SERVICES = [
    Service(
        "bedrock-agent-runtime",
        "eventstream/bedrock/agent/_shapes.py",
        "Amazon Bedrock Agent Runtime",
        {
            "InvokeAgent": "agent",
            "InvokeInlineAgent": "inline-agent",
            "InvokeFlow": "flow",
            "RetrieveAndGenerateStream": "retrieve-and-generate",
            "OptimizePrompt": "optimize-prompt",
            "AgenticRetrieveStream": "agentic-retrieve",
        },
    ),
    Service(
        "sagemaker-runtime",
        "eventstream/sagemaker/_shapes.py",
        "Amazon SageMaker Runtime",
        {"InvokeEndpointWithResponseStream": "sagemaker"},
    ),
    Service(
        "lambda",
        "eventstream/awslambda/_shapes.py",
        "AWS Lambda",
        {"InvokeWithResponseStream": "lambda"},
    ),
]

_SCALARS = {
    "string": "str", "integer": "int", "long": "int", "boolean": "bool", "double": "float",
    "float": "float", "blob": "bytes", "timestamp": "str",
}  # fmt: skip
_BUILTIN_NAMES = {"str", "int", "bool", "float", "bytes"}


def snake(name: str) -> str:
    """``contentBlockIndex`` / ``ErrorCode`` / ``URI`` -> ``content_block_index`` / ..."""
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text).lower()
    if keyword.iskeyword(text) or text in ("extra", "padding"):
        text += "_"
    return text


def lower_camel(field_name: str) -> str:
    head, *rest = field_name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def wire_key(member: str, shape: Shape) -> str:
    return str(shape.serialization.get("name", member))


def is_document(shape: Shape) -> bool:
    return bool(shape.type_name == "structure" and shape.is_document_type)


class Writer:
    """The declarations of one service, as Python source."""

    def __init__(self, service: Service, model: Any) -> None:
        self.service = service
        self.model = model
        self.unions: dict[str, Shape] = {}  # stream name -> union shape
        self.operations: dict[str, Any] = {}
        for operation, stream in service.streams.items():
            op = model.operation_model(operation)
            shape = op.output_shape
            (member,) = [m for m in shape.members.values() if m.serialization.get("eventstream")]
            self.unions[stream] = member
            self.operations[stream] = op
        self.events: dict[str, tuple[str, Shape]] = {}  # shape name -> (event type, shape)
        self.exceptions: dict[str, tuple[str, Shape]] = {}
        for union in self.unions.values():
            for name, member in union.members.items():
                table = self.exceptions if member.metadata.get("exception") else self.events
                known = table.setdefault(member.name, (name, member))
                assert known[0] == name, f"{member.name} is {known[0]} and {name}"
        self.structs: dict[str, Shape] = {}
        self.union_shapes: dict[str, Shape] = {}
        self.uses: dict[str, int] = {}
        self._walk()
        self.members: dict[tuple[str, str], str] = {}  # (union, member) -> class name
        self.member_of: dict[str, tuple[str, str]] = {}  # struct used as a member class
        taken = set(self.structs) | set(self.union_shapes) | set(self.events)
        taken |= set(self.exceptions)
        for union_name, union in sorted(self.union_shapes.items()):
            for member, target in union.members.items():
                plain = target.type_name == "structure" and not is_document(target)
                plain = plain and not target.is_tagged_union
                if plain and self.uses[target.name] == 1 and target.name not in self.events:
                    self.members[union_name, member] = target.name
                    self.member_of[target.name] = (union_name, member)
                    continue
                name = union_name + member[:1].upper() + member[1:]
                while name in taken:
                    name += "Member"
                taken.add(name)
                self.members[union_name, member] = name

    def _walk(self) -> None:
        stack = [s for _, s in self.events.values()]
        seen: set[str] = set()
        while stack:
            shape = stack.pop()
            if shape.name in seen:
                continue
            seen.add(shape.name)
            if shape.type_name == "structure" and not is_document(shape):
                if shape.is_tagged_union:
                    self.union_shapes[shape.name] = shape
                elif shape.name not in self.events:
                    self.structs[shape.name] = shape
                for member in shape.members.values():
                    self._use(member, stack)
            elif shape.type_name == "list":
                self._use(shape.member, stack)
            elif shape.type_name == "map":
                self._use(shape.value, stack)

    def _use(self, shape: Shape, stack: list[Shape]) -> None:
        self.uses[shape.name] = self.uses.get(shape.name, 0) + 1
        stack.append(shape)

    # --- types ------------------------------------------------------------------------------

    def hint(self, shape: Shape, qualify: bool) -> str:
        kind = shape.type_name
        if kind in _SCALARS:
            name = _SCALARS[kind]
            return f"builtins.{name}" if qualify else name
        if kind == "list":
            return f"tuple[{self.hint(shape.member, qualify)}, ...]"
        if kind == "map":
            return f"Mapping[str, {self.hint(shape.value, qualify)}]"
        if is_document(shape):
            return "JSON"
        return str(shape.name)

    def fields(self, shape: Shape) -> list[str]:
        """The field lines of a structure: required first (their order), then optional."""
        names = {m: snake(m) for m in shape.members}
        qualify = bool(_BUILTIN_NAMES & set(names.values()))
        required = set(shape.required_members)
        lines = []
        for optional in (False, True):
            for member, member_shape in shape.members.items():
                if (member in required) == optional:
                    continue
                name = names[member]
                key = wire_key(member, member_shape)
                if member_shape.serialization.get("eventpayload"):
                    key = lower_camel(name)  # the whole payload: no key on the wire
                hint = self.hint(member_shape, qualify)
                wire = "" if lower_camel(name) == key else f'metadata={{"wire": {key!r}}}'
                if optional:
                    hint += " | None"
                    value = f"field(default=None, {wire})" if wire else "None"
                    lines.append(f"    {name}: {hint} = {value}")
                elif wire:
                    lines.append(f"    {name}: {hint} = field({wire})")
                else:
                    lines.append(f"    {name}: {hint}")
        return lines

    # --- classes ----------------------------------------------------------------------------

    def struct(self, shape: Shape) -> list[str]:
        member = self.member_of.get(shape.name)
        base = "UnionMember" if member else "Struct"
        doc = f"``{shape.name}``" + (f": the ``{member[1]}`` member of ``{member[0]}``."
                                     if member else ".")  # fmt: skip
        lines = [_DECORATOR, f"class {shape.name}({base}):", f'    """{doc}"""', ""]
        if member:
            lines.append(f"    union_key: ClassVar[str] = {member[1]!r}")
        lines += self.fields(shape) or ([] if member else ["    pass"])
        return lines

    def wrapper(self, union: str, member: str, target: Shape) -> list[str]:
        name = self.members[union, member]
        attr = snake(member)
        qualify = attr in _BUILTIN_NAMES
        return [
            _DECORATOR,
            f"class {name}(UnionMember):",
            f'    """The ``{member}`` member of ``{union}``: its value is ``{attr}``."""',
            "",
            f"    union_key: ClassVar[str] = {member!r}",
            f"    wraps: ClassVar[str | None] = {attr!r}",
            f"    {attr}: {self.hint(target, qualify)}",
        ]

    def unknown(self, union: str) -> list[str]:
        return [
            "@dataclass(frozen=True, slots=True)",
            f"class Unknown{union}:",
            f'    """A ``{union}`` member this library does not know yet, kept as raw JSON."""',
            "",
            "    member: str",
            "    value: JSON = field(hash=False)",
        ]

    def event(self, event_type: str, shape: Shape) -> list[str]:
        doc = f"The ``{event_type}`` event (``{shape.name}``)."
        lines = [_DECORATOR, f"class {shape.name}(ServiceEvent):", f'    """{doc}"""', ""]
        lines.append(f"    event_type: ClassVar[str] = {event_type!r}")
        for member, member_shape in shape.members.items():
            assert not member_shape.serialization.get("eventheader"), (shape.name, member)
            if member_shape.serialization.get("eventpayload"):
                assert member_shape.type_name == "blob", (shape.name, member)
                lines.append(f"    payload_field: ClassVar[str | None] = {snake(member)!r}")
        lines += self.fields(shape)
        return lines

    def exception(self, exception_type: str, shape: Shape) -> list[str]:
        error = shape.metadata.get("error") or {}
        status = error.get("httpStatusCode", self.service.default_status)
        retry = botocore_retries(self.model, shape.name, status)
        message_key = next((m for m in shape.members if m.lower() == "message"), "message")
        extra = [(snake(m), m, s) for m, s in shape.members.items() if m != message_key]
        verdict = "retryable" if retry else "not retryable"
        given = "" if error else ", which the model does not give"
        lines = [
            f"class {shape.name}(ServiceException):",
            f'    """``{exception_type}`` (HTTP {status}{given}); {verdict}."""',
            "",
            f"    exception_type = {exception_type!r}",
            f"    status_code = {status}",
        ]
        if retry:
            lines.append("    retryable = True")
        if message_key != "message":
            lines.append(f"    message_key = {message_key!r}")
        if extra:
            rows = ", ".join(
                f"({name!r}, {key!r}, {_SCALARS[s.type_name]})" for name, key, s in extra
            )
            lines.append(f"    _fields = ({rows},)")
            params = ", ".join(f"{name}: {_SCALARS[s.type_name]} | None = None"
                               for name, _, s in extra)  # fmt: skip
            lines += ["", f"    def __init__(self, message: str = '', *, {params}, **kwargs: Any)"
                      " -> None:", "        super().__init__(message, **kwargs)"]  # fmt: skip
            lines += [f"        self.{name} = {name}" for name, _, _ in extra]
        return lines

    def stream(self, name: str) -> list[str]:
        union = self.unions[name]
        op = self.operations[name]
        events = [m.name for m in union.members.values() if not m.metadata.get("exception")]
        exceptions = [m.name for m in union.members.values() if m.metadata.get("exception")]
        return [
            "    ServiceStream(",
            f'        {name!r}, {self.service.name!r}, {union.name!r}, {op.name!r}, "response",',
            f"        ({', '.join(events)},),",
            f"        ({', '.join(exceptions)}{',' if exceptions else ''}),",
            f"        {op.http['requestUri']!r},",
            "    ),",
        ]

    def source(self) -> str:
        version = self.model.api_version
        classes: list[list[str]] = []
        for event_type, shape in self.events.values():
            classes.append(self.event(event_type, shape))
        for name in sorted(self.structs):
            classes.append(self.struct(self.structs[name]))
        for union_name in sorted(self.union_shapes):
            union = self.union_shapes[union_name]
            for member, target in union.members.items():
                if self.members[union_name, member] != target.name:
                    classes.append(self.wrapper(union_name, member, target))
            classes.append(self.unknown(union_name))
        for exception_type, shape in self.exceptions.values():
            classes.append(self.exception(exception_type, shape))
        aliases = []
        for union_name in sorted(self.union_shapes):
            union = self.union_shapes[union_name]
            names = [self.members[union_name, m] for m in union.members]
            aliases.append(f"{union_name} = {' | '.join([*names, f'Unknown{union_name}'])}")
        exported = [*(s.name for _, s in self.events.values()), *sorted(self.structs)]
        for union_name in sorted(self.union_shapes):
            union = self.union_shapes[union_name]
            for member, target in union.members.items():
                if self.members[union_name, member] != target.name:
                    exported.append(self.members[union_name, member])
            exported += [f"Unknown{union_name}", union_name]
        exported += [s.name for _, s in self.exceptions.values()]
        exported.append("STREAMS")
        head = [
            f'"""{self.service.title}\'s event streams, typed (generated: do not edit).',
            "",
            f"One class per shape of the {self.service.name} service model (API {version}),",
            "written by tests/service_codegen.py from botocore's JSON; regenerate with",
            "``python -m tests.service_codegen`` (tests/test_services_codegen.py checks it).",
            '"""',
            "",
            "from __future__ import annotations",
            "",
            *self._imports(classes),
            "",
            "__all__ = [",
            *(f"    {name!r}," for name in exported),
            "]",
        ]
        body = ["\n".join(lines) for lines in classes]
        tail = ["\n".join(aliases), "#: Each stream operation's union, by our stream name.",
                "STREAMS = {s.name: s for s in ("]  # fmt: skip
        for name in self.unions:
            tail.append("\n".join(self.stream(name)))
        tail.append(")}")
        text = "\n".join(head) + "\n\n\n" + "\n\n\n".join(body) + "\n\n\n" + tail[0] + "\n\n"
        text += "\n".join(tail[1:]) + "\n"
        return text

    def _imports(self, classes: list[list[str]]) -> list[str]:
        """The import lines the classes need (and no others)."""
        text = "\n".join("\n".join(lines) for lines in classes)
        used = lambda word: re.search(rf"\b{word}\b", text) is not None  # noqa: E731
        lines = ["import builtins"] if used("builtins") else []
        if used("Mapping"):
            lines.append("from collections.abc import Mapping")
        lines.append("from dataclasses import dataclass" + (", field" if used("field") else ""))
        typing_names = [n for n in ("Any", "ClassVar") if used(n)]
        lines += [f"from typing import {', '.join(typing_names)}", ""]
        names = ["JSON", "ServiceEvent", "ServiceException", "Struct", "UnionMember"]
        engine = sorted([n for n in names if used(n)] + ["ServiceStream"])
        lines.append(f"from {self._engine()} import {', '.join(engine)}")
        return lines

    def _engine(self) -> str:
        # bedrock/agent/_shapes.py: ..engine; sagemaker/_shapes.py: ..bedrock.engine
        inside = self.service.module.startswith("eventstream/bedrock/")
        return "..engine" if inside else "..bedrock.engine"


_DECORATOR = "@dataclass(frozen=True, slots=True, kw_only=True, repr=False)"


def botocore_retries(model: Any, code: str, status: int) -> bool:
    """Whether botocore's standard retry mode retries this error as an HTTP response."""
    operation = model.operation_model(model.operation_names[0])
    context = standard.RetryContext(
        attempt_number=1,
        operation_model=operation,
        parsed_response={"Error": {"Code": code, "Message": ""},
                         "ResponseMetadata": {"HTTPStatusCode": status}},
        http_response=AWSResponse("https://aws", status, {}, None),
    )  # fmt: skip
    return bool(standard.StandardRetryConditions().is_retryable(context))


def generate(service: Service) -> str:
    """The module's source, from the installed botocore's model of ``service``."""
    model = botocore.session.get_session().get_service_model(service.name)
    return Writer(service, model).source()


def formatted(source: str, path: Path) -> str:
    """``source`` as ``ruff format`` writes it (the committed form)."""
    ruff = Path(sys.executable).with_name("ruff")
    done = subprocess.run(
        [str(ruff), "format", "--stdin-filename", str(path), "-"],
        input=source, capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    text = done.stdout
    if max(map(len, text.splitlines())) > 100 and "# ruff: noqa: E501" not in text:
        # Model docstrings and wire names can be long; the source is not for reading.
        text = text.replace("\nfrom __future__", "\n# ruff: noqa: E501\nfrom __future__", 1)
    return text


def main() -> None:
    for service in SERVICES:
        path = ROOT / service.module
        path.write_text(formatted(generate(service), path))
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
