"""Typed Bedrock Runtime stream events and exceptions, one class per union member.

Field names are the service model's, in ``snake_case``; the wire key of each is its
``lowerCamel`` form. Every structure keeps undeclared keys in ``extra``, and every event keeps
its ``"p"`` padding in ``padding`` (ignored by ``==``), so re-encoding loses nothing.
"""

from __future__ import annotations

import builtins
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .._errors import EventStreamError
from .._message import Message
from ._json import loads
from ._wire import JSON, Struct, UnionMember, WireError, from_wire

__all__ = [
    "BedrockEvent",
    "Chunk",
    "MessageStart",
    "ContentBlockStart",
    "ContentBlockDelta",
    "ContentBlockStop",
    "MessageStop",
    "Metadata",
    "ToolUseStart",
    "ToolResultStart",
    "ImageStart",
    "UnknownStart",
    "BlockStart",
    "TextDelta",
    "ToolUseDelta",
    "ToolResultDelta",
    "ToolResultBlockDelta",
    "ReasoningContentDelta",
    "CitationDelta",
    "CitationSourceContent",
    "CitationLocation",
    "WebLocation",
    "DocumentSpan",
    "SearchResultSpan",
    "ImageDelta",
    "ImageSource",
    "S3Location",
    "ErrorBlock",
    "UnknownDelta",
    "Delta",
    "Usage",
    "CacheDetail",
    "Metrics",
    "Trace",
    "PromptRouterTrace",
    "PerformanceConfiguration",
    "ServiceTier",
    "GuardrailTraceAssessment",
    "GuardrailAssessment",
    "GuardrailTopicPolicyAssessment",
    "GuardrailTopic",
    "GuardrailContentPolicyAssessment",
    "GuardrailContentFilter",
    "GuardrailWordPolicyAssessment",
    "GuardrailCustomWord",
    "GuardrailManagedWord",
    "GuardrailSensitiveInformationPolicyAssessment",
    "GuardrailPiiEntityFilter",
    "GuardrailRegexFilter",
    "GuardrailContextualGroundingPolicyAssessment",
    "GuardrailContextualGroundingFilter",
    "GuardrailAutomatedReasoningPolicyAssessment",
    "GuardrailAutomatedReasoningFinding",
    "GuardrailAutomatedReasoningValidFinding",
    "GuardrailAutomatedReasoningInvalidFinding",
    "GuardrailAutomatedReasoningSatisfiableFinding",
    "GuardrailAutomatedReasoningImpossibleFinding",
    "GuardrailAutomatedReasoningTranslationAmbiguousFinding",
    "GuardrailAutomatedReasoningTooComplexFinding",
    "GuardrailAutomatedReasoningNoTranslationsFinding",
    "UnknownAutomatedReasoningFinding",
    "GuardrailAutomatedReasoningTranslation",
    "GuardrailAutomatedReasoningStatement",
    "GuardrailAutomatedReasoningInputTextReference",
    "GuardrailAutomatedReasoningScenario",
    "GuardrailAutomatedReasoningRule",
    "GuardrailAutomatedReasoningLogicWarning",
    "GuardrailAutomatedReasoningTranslationOption",
    "GuardrailInvocationMetrics",
    "GuardrailUsage",
    "GuardrailCoverage",
    "GuardrailTextCharactersCoverage",
    "GuardrailImageCoverage",
    "AppliedGuardrailDetails",
    "UnknownEvent",
    "BedrockException",
    "InternalServerException",
    "ModelStreamErrorException",
    "ValidationException",
    "ThrottlingException",
    "ModelTimeoutException",
    "ServiceUnavailableException",
    "UnknownException",
    "ErrorFrame",
    "BedrockPayloadError",
    "UnexpectedEventError",
]


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class BedrockEvent(Struct):
    """Base of every typed event; ``event_type`` is its ``:event-type`` on the wire."""

    event_type: ClassVar[str]
    #: The ``"p"`` padding the event arrived with (or will be sent with); not compared.
    padding: str | None = field(default=None, compare=False, repr=False)


# --- InvokeModelWithResponseStream and the bidirectional stream ----------------------------


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Chunk(BedrockEvent):
    """A ``chunk`` event: ``bytes`` is the model's own output (for Claude, one JSON event).

    The service model makes ``bytes`` optional: a chunk without it (``{}``) is ``None``.
    """

    event_type: ClassVar[str] = "chunk"
    # builtins.bytes: a bare ``bytes`` here would name this very field in get_type_hints().
    bytes: builtins.bytes | None = None

    def json(self) -> Any:
        """Parse ``bytes`` as strict JSON; raise :class:`BedrockPayloadError` if it is not
        JSON (or absent)."""
        if self.bytes is None:
            raise BedrockPayloadError("the chunk has no bytes")
        try:
            return loads(self.bytes)
        except ValueError as exc:
            raise BedrockPayloadError(f"chunk bytes are not JSON ({exc})") from None


# --- ConverseStream: content block starts -------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ToolUseStart(UnionMember):
    """``start.toolUse``: a tool call begins."""

    union_key: ClassVar[str] = "toolUse"
    tool_use_id: str
    name: str
    type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ToolResultStart(UnionMember):
    """``start.toolResult``: a tool result block begins."""

    union_key: ClassVar[str] = "toolResult"
    tool_use_id: str
    type: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ImageStart(UnionMember):
    """``start.image``: an image block begins."""

    union_key: ClassVar[str] = "image"
    format: str


@dataclass(frozen=True, slots=True)
class UnknownStart:
    """A ``start`` member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


BlockStart = ToolUseStart | ToolResultStart | ImageStart | UnknownStart


# --- ConverseStream: content block deltas -------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TextDelta(UnionMember):
    """``delta.text``."""

    union_key: ClassVar[str] = "text"
    wraps: ClassVar[str | None] = "text"
    text: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ToolUseDelta(UnionMember):
    """``delta.toolUse``: a piece of the tool input's JSON text."""

    union_key: ClassVar[str] = "toolUse"
    input: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ToolResultBlockDelta(Struct):
    """One item of ``delta.toolResult``: ``json`` is a model ``Document`` (raw JSON)."""

    text: str | None = None
    json: JSON = field(default=None, hash=False)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ToolResultDelta(UnionMember):
    """``delta.toolResult``: a list of result pieces."""

    union_key: ClassVar[str] = "toolResult"
    wraps: ClassVar[str | None] = "blocks"
    blocks: tuple[ToolResultBlockDelta, ...]


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ReasoningContentDelta(UnionMember):
    """``delta.reasoningContent``: reasoning text, its signature, or redacted content."""

    union_key: ClassVar[str] = "reasoningContent"
    text: str | None = None
    signature: str | None = None
    redacted_content: bytes | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CitationSourceContent(Struct):
    """One item of ``citation.sourceContent``."""

    text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class WebLocation(Struct):
    """``location.web``."""

    url: str | None = None
    domain: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class DocumentSpan(Struct):
    """``location.documentChar`` / ``documentPage`` / ``documentChunk``."""

    document_index: int | None = None
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class SearchResultSpan(Struct):
    """``location.searchResultLocation``."""

    search_result_index: int | None = None
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CitationLocation(Struct):
    """``citation.location``: where the cited text is."""

    web: WebLocation | None = None
    document_char: DocumentSpan | None = None
    document_page: DocumentSpan | None = None
    document_chunk: DocumentSpan | None = None
    search_result_location: SearchResultSpan | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CitationDelta(UnionMember):
    """``delta.citation``."""

    union_key: ClassVar[str] = "citation"
    title: str | None = None
    source: str | None = None
    source_content: tuple[CitationSourceContent, ...] | None = None
    location: CitationLocation | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class S3Location(Struct):
    """``source.s3Location``."""

    uri: str
    bucket_owner: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ImageSource(Struct):
    """``image.source``: the image bytes or where they are."""

    bytes: builtins.bytes | None = None
    s3_location: S3Location | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ErrorBlock(Struct):
    """``image.error``."""

    message: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ImageDelta(UnionMember):
    """``delta.image``."""

    union_key: ClassVar[str] = "image"
    source: ImageSource | None = None
    error: ErrorBlock | None = None


@dataclass(frozen=True, slots=True)
class UnknownDelta:
    """A ``delta`` member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


Delta = (
    TextDelta
    | ToolUseDelta
    | ToolResultDelta
    | ReasoningContentDelta
    | CitationDelta
    | ImageDelta
    | UnknownDelta
)


# --- ConverseStream: events ---------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class MessageStart(BedrockEvent):
    """``messageStart``: ``role`` is ``assistant`` (the model allows ``user`` and ``system``)."""

    event_type: ClassVar[str] = "messageStart"
    role: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ContentBlockStart(BedrockEvent):
    """``contentBlockStart`` (not sent for text or reasoning blocks)."""

    event_type: ClassVar[str] = "contentBlockStart"
    content_block_index: int
    start: BlockStart


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ContentBlockDelta(BedrockEvent):
    """``contentBlockDelta``."""

    event_type: ClassVar[str] = "contentBlockDelta"
    content_block_index: int
    delta: Delta


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ContentBlockStop(BedrockEvent):
    """``contentBlockStop``."""

    event_type: ClassVar[str] = "contentBlockStop"
    content_block_index: int


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class MessageStop(BedrockEvent):
    """``messageStop``: ``stop_reason`` is e.g. end_turn, tool_use, max_tokens.

    ``additional_model_response_fields`` is a model ``Document``: raw JSON, as it came.
    """

    event_type: ClassVar[str] = "messageStop"
    stop_reason: str
    additional_model_response_fields: JSON = field(default=None, hash=False)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CacheDetail(Struct):
    """One item of ``usage.cacheDetails``."""

    ttl: str
    input_tokens: int


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Usage(Struct):
    """``metadata.usage``: token counts."""

    input_tokens: int
    output_tokens: int
    total_tokens: int
    cache_read_input_tokens: int | None = None
    cache_write_input_tokens: int | None = None
    cache_details: tuple[CacheDetail, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Metrics(Struct):
    """``metadata.metrics``."""

    latency_ms: int


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Metadata(BedrockEvent):
    """``metadata``: usage and metrics, last in a Converse stream; the guardrail and prompt
    router ``trace``, the ``performance_config`` and the ``service_tier`` when the request
    asked for them."""

    event_type: ClassVar[str] = "metadata"
    usage: Usage
    metrics: Metrics
    trace: Trace | None = None
    performance_config: PerformanceConfiguration | None = None
    service_tier: ServiceTier | None = None

    def __post_init__(self) -> None:
        super(Metadata, self).__post_init__()
        # Until these three were typed they took raw JSON; a JSON object given still works
        # and is read into its class, as the decoder would read it. (Decoding never comes
        # here: the generated decoders build instances without __init__.)
        for name, cls in (
            ("trace", Trace),
            ("performance_config", PerformanceConfiguration),
            ("service_tier", ServiceTier),
        ):
            value = getattr(self, name)
            if isinstance(value, Mapping):
                try:
                    typed = from_wire(cls, dict(value))
                except WireError as exc:
                    raise TypeError(f"{name}: {exc}") from None
                object.__setattr__(self, name, typed)


# --- ConverseStream: metadata.trace, performanceConfig, serviceTier -------------------------


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PerformanceConfiguration(Struct):
    """``metadata.performanceConfig``: ``latency`` is ``standard`` or ``optimized``."""

    latency: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ServiceTier(Struct):
    """``metadata.serviceTier``: ``type`` is ``priority``, ``default``, ``flex`` or
    ``reserved``."""

    type: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PromptRouterTrace(Struct):
    """``trace.promptRouter``: the model a prompt router chose."""

    invoked_model_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Trace(Struct):
    """``metadata.trace`` (ConverseStreamTrace): what the guardrail and the prompt router did."""

    guardrail: GuardrailTraceAssessment | None = None
    prompt_router: PromptRouterTrace | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailTraceAssessment(Struct):
    """``trace.guardrail``: the guardrail's assessments of the input and of the output.

    ``input_assessment`` maps a guardrail to its :class:`GuardrailAssessment`,
    ``output_assessments`` to a tuple of them (read-only mappings).
    """

    model_output: tuple[str, ...] | None = None
    input_assessment: Mapping[str, GuardrailAssessment] | None = field(default=None, hash=False)
    output_assessments: Mapping[str, tuple[GuardrailAssessment, ...]] | None = field(
        default=None, hash=False
    )
    action_reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailAssessment(Struct):
    """One guardrail's assessment: a result per policy, its metrics and which guardrail."""

    topic_policy: GuardrailTopicPolicyAssessment | None = None
    content_policy: GuardrailContentPolicyAssessment | None = None
    word_policy: GuardrailWordPolicyAssessment | None = None
    sensitive_information_policy: GuardrailSensitiveInformationPolicyAssessment | None = None
    contextual_grounding_policy: GuardrailContextualGroundingPolicyAssessment | None = None
    automated_reasoning_policy: GuardrailAutomatedReasoningPolicyAssessment | None = None
    invocation_metrics: GuardrailInvocationMetrics | None = None
    applied_guardrail_details: AppliedGuardrailDetails | None = None

    @classmethod
    def from_json(cls, value: JSON) -> GuardrailAssessment:
        """Read one assessment's JSON; :class:`BedrockPayloadError` if it does not fit."""
        try:
            return from_wire(cls, value)
        except WireError as exc:
            raise BedrockPayloadError(f"not a guardrail assessment: {exc}") from None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailTopic(Struct):
    """A denied topic: ``action`` is ``BLOCKED`` or ``NONE``."""

    name: str
    type: str
    action: str
    detected: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailTopicPolicyAssessment(Struct):
    """``topicPolicy``."""

    topics: tuple[GuardrailTopic, ...]


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailContentFilter(Struct):
    """A content filter: ``type`` (``HATE``, ``PROMPT_ATTACK``, ...), ``confidence``,
    ``filter_strength`` and ``action``."""

    type: str
    confidence: str
    action: str
    filter_strength: str | None = None
    detected: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailContentPolicyAssessment(Struct):
    """``contentPolicy``."""

    filters: tuple[GuardrailContentFilter, ...]


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailCustomWord(Struct):
    """A custom word that matched."""

    match: str
    action: str
    detected: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailManagedWord(Struct):
    """A managed-list word that matched (``type`` ``PROFANITY``)."""

    match: str
    type: str
    action: str
    detected: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailWordPolicyAssessment(Struct):
    """``wordPolicy``."""

    custom_words: tuple[GuardrailCustomWord, ...]
    managed_word_lists: tuple[GuardrailManagedWord, ...]


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailPiiEntityFilter(Struct):
    """A PII entity that matched: ``action`` is ``ANONYMIZED``, ``BLOCKED`` or ``NONE``."""

    match: str
    type: str
    action: str
    detected: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailRegexFilter(Struct):
    """A regex filter that matched."""

    action: str
    name: str | None = None
    match: str | None = None
    regex: str | None = None
    detected: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailSensitiveInformationPolicyAssessment(Struct):
    """``sensitiveInformationPolicy``."""

    pii_entities: tuple[GuardrailPiiEntityFilter, ...]
    regexes: tuple[GuardrailRegexFilter, ...]


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailContextualGroundingFilter(Struct):
    """A grounding or relevance check: ``score`` against ``threshold`` (0 to 1)."""

    type: str
    threshold: float
    score: float
    action: str
    detected: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailContextualGroundingPolicyAssessment(Struct):
    """``contextualGroundingPolicy``."""

    filters: tuple[GuardrailContextualGroundingFilter, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailAutomatedReasoningStatement(Struct):
    """A statement: its ``logic`` and its ``natural_language`` form."""

    logic: str | None = None
    natural_language: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailAutomatedReasoningInputTextReference(Struct):
    """Input text that could not be translated."""

    text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailAutomatedReasoningTranslation(Struct):
    """The input translated into logic, with a ``confidence`` (0 to 1)."""

    premises: tuple[GuardrailAutomatedReasoningStatement, ...] | None = None
    claims: tuple[GuardrailAutomatedReasoningStatement, ...] | None = None
    untranslated_premises: tuple[GuardrailAutomatedReasoningInputTextReference, ...] | None = None
    untranslated_claims: tuple[GuardrailAutomatedReasoningInputTextReference, ...] | None = None
    confidence: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailAutomatedReasoningScenario(Struct):
    """A scenario: statements that hold together."""

    statements: tuple[GuardrailAutomatedReasoningStatement, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailAutomatedReasoningRule(Struct):
    """A policy rule, by ``identifier`` and policy version."""

    identifier: str | None = None
    policy_version_arn: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailAutomatedReasoningLogicWarning(Struct):
    """Statements that are always true or always false (``type``)."""

    type: str | None = None
    premises: tuple[GuardrailAutomatedReasoningStatement, ...] | None = None
    claims: tuple[GuardrailAutomatedReasoningStatement, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailAutomatedReasoningTranslationOption(Struct):
    """One reading of an ambiguous input."""

    translations: tuple[GuardrailAutomatedReasoningTranslation, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailAutomatedReasoningValidFinding(UnionMember):
    """``valid``: the claims follow from the premises and the rules."""

    union_key: ClassVar[str] = "valid"
    translation: GuardrailAutomatedReasoningTranslation | None = None
    claims_true_scenario: GuardrailAutomatedReasoningScenario | None = None
    supporting_rules: tuple[GuardrailAutomatedReasoningRule, ...] | None = None
    logic_warning: GuardrailAutomatedReasoningLogicWarning | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailAutomatedReasoningInvalidFinding(UnionMember):
    """``invalid``: the claims contradict the rules."""

    union_key: ClassVar[str] = "invalid"
    translation: GuardrailAutomatedReasoningTranslation | None = None
    contradicting_rules: tuple[GuardrailAutomatedReasoningRule, ...] | None = None
    logic_warning: GuardrailAutomatedReasoningLogicWarning | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailAutomatedReasoningSatisfiableFinding(UnionMember):
    """``satisfiable``: the claims can be true or false."""

    union_key: ClassVar[str] = "satisfiable"
    translation: GuardrailAutomatedReasoningTranslation | None = None
    claims_true_scenario: GuardrailAutomatedReasoningScenario | None = None
    claims_false_scenario: GuardrailAutomatedReasoningScenario | None = None
    logic_warning: GuardrailAutomatedReasoningLogicWarning | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailAutomatedReasoningImpossibleFinding(UnionMember):
    """``impossible``: the premises contradict each other or the rules."""

    union_key: ClassVar[str] = "impossible"
    translation: GuardrailAutomatedReasoningTranslation | None = None
    contradicting_rules: tuple[GuardrailAutomatedReasoningRule, ...] | None = None
    logic_warning: GuardrailAutomatedReasoningLogicWarning | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailAutomatedReasoningTranslationAmbiguousFinding(UnionMember):
    """``translationAmbiguous``: the input reads more than one way."""

    union_key: ClassVar[str] = "translationAmbiguous"
    options: tuple[GuardrailAutomatedReasoningTranslationOption, ...] | None = None
    difference_scenarios: tuple[GuardrailAutomatedReasoningScenario, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailAutomatedReasoningTooComplexFinding(UnionMember):
    """``tooComplex``: the input is too complex to check (no fields)."""

    union_key: ClassVar[str] = "tooComplex"


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailAutomatedReasoningNoTranslationsFinding(UnionMember):
    """``noTranslations``: nothing in the input could be translated (no fields)."""

    union_key: ClassVar[str] = "noTranslations"


@dataclass(frozen=True, slots=True)
class UnknownAutomatedReasoningFinding:
    """A finding member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


GuardrailAutomatedReasoningFinding = (
    GuardrailAutomatedReasoningValidFinding
    | GuardrailAutomatedReasoningInvalidFinding
    | GuardrailAutomatedReasoningSatisfiableFinding
    | GuardrailAutomatedReasoningImpossibleFinding
    | GuardrailAutomatedReasoningTranslationAmbiguousFinding
    | GuardrailAutomatedReasoningTooComplexFinding
    | GuardrailAutomatedReasoningNoTranslationsFinding
    | UnknownAutomatedReasoningFinding
)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailAutomatedReasoningPolicyAssessment(Struct):
    """``automatedReasoningPolicy``: one finding per claim checked."""

    findings: tuple[GuardrailAutomatedReasoningFinding, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailUsage(Struct):
    """``invocationMetrics.usage``: policy units processed."""

    topic_policy_units: int
    content_policy_units: int
    word_policy_units: int
    sensitive_information_policy_units: int
    sensitive_information_policy_free_units: int
    contextual_grounding_policy_units: int
    content_policy_image_units: int | None = None
    automated_reasoning_policy_units: int | None = None
    automated_reasoning_policies: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailTextCharactersCoverage(Struct):
    """Characters of text the guardrail checked, of the total."""

    guarded: int | None = None
    total: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailImageCoverage(Struct):
    """Images the guardrail checked, of the total."""

    guarded: int | None = None
    total: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailCoverage(Struct):
    """``invocationMetrics.guardrailCoverage``."""

    text_characters: GuardrailTextCharactersCoverage | None = None
    images: GuardrailImageCoverage | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailInvocationMetrics(Struct):
    """``invocationMetrics``: latency (ms), usage and coverage."""

    guardrail_processing_latency: int | None = None
    usage: GuardrailUsage | None = None
    guardrail_coverage: GuardrailCoverage | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AppliedGuardrailDetails(Struct):
    """Which guardrail this was: id, version, ARN, origin (``REQUEST``, ``ACCOUNT_ENFORCED``,
    ``ORGANIZATION_ENFORCED``) and ownership (``SELF``, ``CROSS_ACCOUNT``)."""

    guardrail_id: str | None = None
    guardrail_version: str | None = None
    guardrail_arn: str | None = None
    guardrail_origin: tuple[str, ...] | None = None
    guardrail_ownership: str | None = None


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    """An event whose ``:event-type`` is not in the stream's union: the whole frame is kept."""

    event_type: str
    message: Message
    #: The stream union it was decoded against (``None`` when decoded without one).
    stream: str | None = None

    def _repr_html_(self) -> str:
        """The event type, the union, and the whole frame, for notebooks."""
        union = f"not in the {self.stream} union" if self.stream else "decoded without a union"
        title = html.escape(f"UnknownEvent {self.event_type!r} ({union})")
        return f"<div><b>{title}</b>{self.message._repr_html_()}</div>"


# --- exceptions ---------------------------------------------------------------------------


class BedrockPayloadError(EventStreamError):
    """A Bedrock frame's payload is not the JSON its event type declares.

    ``frame`` is the whole message, kept so nothing is lost.
    """

    def __init__(self, message: str, *, frame: Message | None = None, **where: int | None) -> None:
        super().__init__(message, **where)
        self.frame = frame


class UnexpectedEventError(BedrockPayloadError):
    """A frame outside the stream's union, or with no usable ``:message-type`` (strict mode)."""


class BedrockException(EventStreamError):
    """Base of the exceptions a Bedrock stream can carry.

    Each is raisable and also a plain value: ``==`` compares type and fields, and
    ``encode_event`` puts it back on the wire. ``status_code`` is the HTTP status the service
    model gives it, ``retryable`` whether a client should try the request again.
    """

    exception_type: ClassVar[str] = ""
    status_code: ClassVar[int] = 500
    retryable: ClassVar[bool] = False
    #: Payload fields beyond ``message``: ``(attribute, wire key, JSON type)``.
    _fields: ClassVar[tuple[tuple[str, str, type], ...]] = ()

    def __init__(
        self,
        message: str = "",
        *,
        extra: Mapping[str, JSON] | None = None,
        offset: int | None = None,
        frame_index: int | None = None,
        frame_offset: int | None = None,
    ) -> None:
        super().__init__(message, offset=offset, frame_index=frame_index, frame_offset=frame_offset)
        self.extra: Mapping[str, JSON] = dict(extra or {})
        #: The payload as received when it was not a JSON object (re-encoded as is).
        self.raw_payload: bytes | None = None
        #: False for a decoded payload that had no ``message`` (the model makes it optional):
        #: ``message`` is then ``""`` and the exception goes back on the wire without one.
        self.message_sent = True

    def _values(self) -> tuple[Any, ...]:
        return (
            self.message,
            self.message_sent,
            *(getattr(self, name) for name, _, _ in self._fields),
            sorted(self.extra.items(), key=lambda item: item[0]),
            self.raw_payload,
        )

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, BedrockException)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self.message))

    def __str__(self) -> str:
        name = self.exception_type or type(self).__name__
        text = f"{name} (HTTP {self.status_code}): {self.message}"
        if self.frame_index is not None:
            text = f"frame {self.frame_index}, byte {self.offset}: {text}"
        return text

    def __repr__(self) -> str:
        fields = "".join(f", {name}={getattr(self, name)!r}" for name, _, _ in self._fields)
        extra = f", extra={dict(self.extra)!r}" if self.extra else ""
        return f"{type(self).__name__}({self.message!r}{fields}{extra})"

    def _repr_html_(self) -> str:
        """Name, HTTP status, retryability, message and place in the stream, for notebooks."""
        items: list[tuple[str, object]] = [
            ("HTTP status", self.status_code),
            ("retryable", "yes" if self.retryable else "no"),
            ("message", self.message),
            *((name, getattr(self, name)) for name, _, _ in self._fields),
        ]
        if self.extra:
            items.append(("extra", dict(self.extra)))
        if self.frame_index is not None:
            items.append(("frame", f"{self.frame_index} (byte {self.offset})"))
        rows = "".join(
            f"<tr><th>{name}</th><td>{html.escape(str(value))}</td></tr>"
            for name, value in items
            if value is not None
        )
        # UnknownException keeps its wire name in ``name``, ErrorFrame its ``error_code``.
        title = self.exception_type or getattr(self, "name", "") or type(self).__name__
        code = getattr(self, "error_code", None)
        if code is not None:
            title = f"error {code}"
        return f"<table><caption>{html.escape(title)}</caption>{rows}</table>"


class InternalServerException(BedrockException):
    """``internalServerException`` (HTTP 500): a server fault; retryable."""

    exception_type = "internalServerException"
    status_code = 500
    retryable = True


class ModelStreamErrorException(BedrockException):
    """``modelStreamErrorException`` (HTTP 424): the model failed mid-stream; retryable.

    ``original_status_code`` and ``original_message`` are the model's own error.
    """

    exception_type = "modelStreamErrorException"
    status_code = 424
    retryable = True
    _fields = (
        ("original_status_code", "originalStatusCode", int),
        ("original_message", "originalMessage", str),
    )

    def __init__(
        self,
        message: str = "",
        *,
        original_status_code: int | None = None,
        original_message: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.original_status_code = original_status_code
        self.original_message = original_message


class ValidationException(BedrockException):
    """``validationException`` (HTTP 400): the request was invalid; not retryable."""

    exception_type = "validationException"
    status_code = 400


class ThrottlingException(BedrockException):
    """``throttlingException`` (HTTP 429): too many requests; retryable after a back-off."""

    exception_type = "throttlingException"
    status_code = 429
    retryable = True


class ModelTimeoutException(BedrockException):
    """``modelTimeoutException`` (HTTP 408): the model took too long; retryable."""

    exception_type = "modelTimeoutException"
    status_code = 408
    retryable = True


class ServiceUnavailableException(BedrockException):
    """``serviceUnavailableException`` (HTTP 503): the service is unavailable; retryable."""

    exception_type = "serviceUnavailableException"
    status_code = 503
    retryable = True


class UnknownException(BedrockException):
    """An ``:exception-type`` outside the stream's union; ``frame`` is the whole message.

    Its status is unknown, so it reports 500 (an upstream fault) and is not retryable.
    """

    def __init__(self, message: str = "", *, frame: Message, name: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.frame = frame
        self.name = name

    def _values(self) -> tuple[Any, ...]:
        return (self.frame,)

    def __str__(self) -> str:
        return super().__str__().replace(f"{type(self).__name__} ", f"{self.name} ", 1)


class ErrorFrame(BedrockException):
    """A ``:message-type: error`` frame: ``error_code`` and ``message`` come from headers.

    ``frame`` is the whole message when it was decoded (``None`` when built here).
    """

    def __init__(
        self,
        message: str = "",
        *,
        error_code: str,
        frame: Message | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.error_code = error_code
        self.frame = frame

    def _values(self) -> tuple[Any, ...]:
        # Not the kept frame: a decoded error frame equals the one built from its fields.
        return (self.error_code, self.message)

    def __str__(self) -> str:
        return super().__str__().replace("ErrorFrame ", f"error {self.error_code} ", 1)
