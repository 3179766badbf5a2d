"""Amazon Bedrock Agent Runtime's event streams, typed (generated: do not edit).

One class per shape of the bedrock-agent-runtime service model (API 2023-07-26),
written by tests/service_codegen.py from botocore's JSON; regenerate with
``python -m tests.service_codegen`` (tests/test_services_codegen.py checks it).
"""

# ruff: noqa: E501
from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..engine import JSON, ServiceEvent, ServiceException, ServiceStream, Struct, UnionMember

__all__ = [
    "PayloadPart",
    "FilePart",
    "ReturnControlPayload",
    "TracePart",
    "InlineAgentPayloadPart",
    "InlineAgentFilePart",
    "InlineAgentReturnControlPayload",
    "InlineAgentTracePart",
    "FlowCompletionEvent",
    "FlowMultiTurnInputRequestEvent",
    "FlowOutputEvent",
    "FlowTraceEvent",
    "CitationEvent",
    "GuardrailEvent",
    "RetrieveAndGenerateOutputEvent",
    "AnalyzePromptEvent",
    "OptimizedPromptEvent",
    "AgenticRetrieveResponseEvent",
    "AgenticRetrieveResultEvent",
    "AgenticRetrieveTraceEvent",
    "ActionGroupInvocationInput",
    "ActionGroupInvocationOutput",
    "AgentCollaboratorInputPayload",
    "AgentCollaboratorInvocationInput",
    "AgentCollaboratorInvocationOutput",
    "AgentCollaboratorOutputPayload",
    "AgenticRetrieveAction",
    "AgenticRetrieveActionDetails",
    "AgenticRetrieveAppliedInstruction",
    "AgenticRetrieveCitation",
    "AgenticRetrieveCitationReference",
    "AgenticRetrieveFailure",
    "AgenticRetrieveFullDocExpansionDetails",
    "AgenticRetrieveGeneratedResponse",
    "AgenticRetrieveGuardrailWarning",
    "AgenticRetrieveMemoryRetrieveDetails",
    "AgenticRetrieveMessageContent",
    "AgenticRetrieveResultItem",
    "AgenticRetrieveSourceMetadata",
    "AgenticRetrieveSourceRetriever",
    "AgenticRetrieveTraceEventAttributes",
    "AgenticRetrieveTraceResultItem",
    "AgenticRetrieveWarningMessage",
    "ApiInvocationInput",
    "ApiParameter",
    "ApiRequestBody",
    "ApiResult",
    "Attribution",
    "AudioSegment",
    "Citation",
    "CodeInterpreterInvocationInput",
    "CodeInterpreterInvocationOutput",
    "ContentBody",
    "CustomOrchestrationTrace",
    "CustomOrchestrationTraceEvent",
    "FailureTrace",
    "FinalResponse",
    "FlowTraceCondition",
    "FlowTraceConditionNodeResultEvent",
    "FlowTraceDependencyEvent",
    "FlowTraceNodeActionEvent",
    "FlowTraceNodeInputEvent",
    "FlowTraceNodeInputExecutionChainItem",
    "FlowTraceNodeInputField",
    "FlowTraceNodeInputSource",
    "FlowTraceNodeOutputEvent",
    "FlowTraceNodeOutputField",
    "FlowTraceNodeOutputNext",
    "FunctionInvocationInput",
    "FunctionParameter",
    "FunctionResult",
    "GeneratedResponsePart",
    "GuardrailAssessment",
    "GuardrailContentFilter",
    "GuardrailContentPolicyAssessment",
    "GuardrailCustomWord",
    "GuardrailManagedWord",
    "GuardrailPiiEntityFilter",
    "GuardrailRegexFilter",
    "GuardrailSensitiveInformationPolicyAssessment",
    "GuardrailTopic",
    "GuardrailTopicPolicyAssessment",
    "GuardrailTrace",
    "GuardrailWordPolicyAssessment",
    "ImageInput",
    "InferenceConfiguration",
    "InvocationInput",
    "KnowledgeBaseLookupInput",
    "KnowledgeBaseLookupOutput",
    "Metadata",
    "ModelInvocationInput",
    "Observation",
    "OrchestrationModelInvocationOutput",
    "OutputFile",
    "Parameter",
    "PostProcessingModelInvocationOutput",
    "PostProcessingParsedResponse",
    "PreProcessingModelInvocationOutput",
    "PreProcessingParsedResponse",
    "PropertyParameters",
    "Rationale",
    "RawResponse",
    "ReasoningTextBlock",
    "RepromptResponse",
    "RequestBody",
    "RetrievalContent",
    "RetrievalResultConfluenceLocation",
    "RetrievalResultContent",
    "RetrievalResultContentColumn",
    "RetrievalResultCustomDocumentLocation",
    "RetrievalResultGoogleDriveLocation",
    "RetrievalResultKendraDocumentLocation",
    "RetrievalResultLocation",
    "RetrievalResultOneDriveLocation",
    "RetrievalResultS3Location",
    "RetrievalResultSalesforceLocation",
    "RetrievalResultSharePointLocation",
    "RetrievalResultSqlLocation",
    "RetrievalResultWebLocation",
    "RetrievedReference",
    "ReturnControlResults",
    "RoutingClassifierModelInvocationOutput",
    "Span",
    "TextPrompt",
    "TextResponsePart",
    "Usage",
    "VideoSegment",
    "UnknownAgenticRetrieveWarning",
    "AgenticRetrieveWarning",
    "CallerAgentAliasArn",
    "UnknownCaller",
    "Caller",
    "FlowMultiTurnInputContentDocument",
    "UnknownFlowMultiTurnInputContent",
    "FlowMultiTurnInputContent",
    "FlowOutputContentDocument",
    "UnknownFlowOutputContent",
    "FlowOutputContent",
    "UnknownFlowTrace",
    "FlowTrace",
    "FlowTraceNodeInputContentDocument",
    "UnknownFlowTraceNodeInputContent",
    "FlowTraceNodeInputContent",
    "FlowTraceNodeOutputContentDocument",
    "UnknownFlowTraceNodeOutputContent",
    "FlowTraceNodeOutputContent",
    "ImageInputSourceBytes",
    "UnknownImageInputSource",
    "ImageInputSource",
    "UnknownInvocationInputMember",
    "InvocationInputMember",
    "UnknownInvocationResultMember",
    "InvocationResultMember",
    "UnknownOptimizedPrompt",
    "OptimizedPrompt",
    "OrchestrationTraceInvocationInput",
    "OrchestrationTraceModelInvocationInput",
    "OrchestrationTraceObservation",
    "UnknownOrchestrationTrace",
    "OrchestrationTrace",
    "PostProcessingTraceModelInvocationInput",
    "UnknownPostProcessingTrace",
    "PostProcessingTrace",
    "PreProcessingTraceModelInvocationInput",
    "UnknownPreProcessingTrace",
    "PreProcessingTrace",
    "ReasoningContentBlockRedactedContent",
    "UnknownReasoningContentBlock",
    "ReasoningContentBlock",
    "RoutingClassifierTraceInvocationInput",
    "RoutingClassifierTraceModelInvocationInput",
    "RoutingClassifierTraceObservation",
    "UnknownRoutingClassifierTrace",
    "RoutingClassifierTrace",
    "TraceOrchestrationTrace",
    "TracePostProcessingTrace",
    "TracePreProcessingTrace",
    "TraceRoutingClassifierTrace",
    "UnknownTrace",
    "Trace",
    "TraceElementsAgentTraces",
    "UnknownTraceElements",
    "TraceElements",
    "AccessDeniedException",
    "BadGatewayException",
    "ConflictException",
    "DependencyFailedException",
    "InternalServerException",
    "ModelNotReadyException",
    "ResourceNotFoundException",
    "ServiceQuotaExceededException",
    "ThrottlingException",
    "ValidationException",
    "STREAMS",
]


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PayloadPart(ServiceEvent):
    """The ``chunk`` event (``PayloadPart``)."""

    event_type: ClassVar[str] = "chunk"
    attribution: Attribution | None = None
    bytes: builtins.bytes | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FilePart(ServiceEvent):
    """The ``files`` event (``FilePart``)."""

    event_type: ClassVar[str] = "files"
    files: tuple[OutputFile, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ReturnControlPayload(ServiceEvent):
    """The ``returnControl`` event (``ReturnControlPayload``)."""

    event_type: ClassVar[str] = "returnControl"
    invocation_id: str | None = None
    invocation_inputs: tuple[InvocationInputMember, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TracePart(ServiceEvent):
    """The ``trace`` event (``TracePart``)."""

    event_type: ClassVar[str] = "trace"
    agent_alias_id: str | None = None
    agent_id: str | None = None
    agent_version: str | None = None
    caller_chain: tuple[Caller, ...] | None = None
    collaborator_name: str | None = None
    event_time: str | None = None
    session_id: str | None = None
    trace: Trace | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class InlineAgentPayloadPart(ServiceEvent):
    """The ``chunk`` event (``InlineAgentPayloadPart``)."""

    event_type: ClassVar[str] = "chunk"
    attribution: Attribution | None = None
    bytes: builtins.bytes | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class InlineAgentFilePart(ServiceEvent):
    """The ``files`` event (``InlineAgentFilePart``)."""

    event_type: ClassVar[str] = "files"
    files: tuple[OutputFile, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class InlineAgentReturnControlPayload(ServiceEvent):
    """The ``returnControl`` event (``InlineAgentReturnControlPayload``)."""

    event_type: ClassVar[str] = "returnControl"
    invocation_id: str | None = None
    invocation_inputs: tuple[InvocationInputMember, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class InlineAgentTracePart(ServiceEvent):
    """The ``trace`` event (``InlineAgentTracePart``)."""

    event_type: ClassVar[str] = "trace"
    caller_chain: tuple[Caller, ...] | None = None
    collaborator_name: str | None = None
    event_time: str | None = None
    session_id: str | None = None
    trace: Trace | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FlowCompletionEvent(ServiceEvent):
    """The ``flowCompletionEvent`` event (``FlowCompletionEvent``)."""

    event_type: ClassVar[str] = "flowCompletionEvent"
    completion_reason: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FlowMultiTurnInputRequestEvent(ServiceEvent):
    """The ``flowMultiTurnInputRequestEvent`` event (``FlowMultiTurnInputRequestEvent``)."""

    event_type: ClassVar[str] = "flowMultiTurnInputRequestEvent"
    content: FlowMultiTurnInputContent
    node_name: str
    node_type: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FlowOutputEvent(ServiceEvent):
    """The ``flowOutputEvent`` event (``FlowOutputEvent``)."""

    event_type: ClassVar[str] = "flowOutputEvent"
    content: FlowOutputContent
    node_name: str
    node_type: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FlowTraceEvent(ServiceEvent):
    """The ``flowTraceEvent`` event (``FlowTraceEvent``)."""

    event_type: ClassVar[str] = "flowTraceEvent"
    trace: FlowTrace


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CitationEvent(ServiceEvent):
    """The ``citation`` event (``CitationEvent``)."""

    event_type: ClassVar[str] = "citation"
    citation: Citation | None = None
    generated_response_part: GeneratedResponsePart | None = None
    retrieved_references: tuple[RetrievedReference, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailEvent(ServiceEvent):
    """The ``guardrail`` event (``GuardrailEvent``)."""

    event_type: ClassVar[str] = "guardrail"
    action: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RetrieveAndGenerateOutputEvent(ServiceEvent):
    """The ``output`` event (``RetrieveAndGenerateOutputEvent``)."""

    event_type: ClassVar[str] = "output"
    text: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AnalyzePromptEvent(ServiceEvent):
    """The ``analyzePromptEvent`` event (``AnalyzePromptEvent``)."""

    event_type: ClassVar[str] = "analyzePromptEvent"
    message: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class OptimizedPromptEvent(ServiceEvent):
    """The ``optimizedPromptEvent`` event (``OptimizedPromptEvent``)."""

    event_type: ClassVar[str] = "optimizedPromptEvent"
    optimized_prompt: OptimizedPrompt | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgenticRetrieveResponseEvent(ServiceEvent):
    """The ``responseEvent`` event (``AgenticRetrieveResponseEvent``)."""

    event_type: ClassVar[str] = "responseEvent"
    text: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgenticRetrieveResultEvent(ServiceEvent):
    """The ``result`` event (``AgenticRetrieveResultEvent``)."""

    event_type: ClassVar[str] = "result"
    results: tuple[AgenticRetrieveResultItem, ...]
    generated_response: AgenticRetrieveGeneratedResponse | None = None
    next_token: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgenticRetrieveTraceEvent(ServiceEvent):
    """The ``traceEvent`` event (``AgenticRetrieveTraceEvent``)."""

    event_type: ClassVar[str] = "traceEvent"
    attributes: AgenticRetrieveTraceEventAttributes
    id: str
    timestamp: int


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ActionGroupInvocationInput(Struct):
    """``ActionGroupInvocationInput``."""

    action_group_name: str | None = None
    api_path: str | None = None
    execution_type: str | None = None
    function: str | None = None
    invocation_id: str | None = None
    parameters: tuple[Parameter, ...] | None = None
    request_body: RequestBody | None = None
    verb: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ActionGroupInvocationOutput(Struct):
    """``ActionGroupInvocationOutput``."""

    metadata: Metadata | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgentCollaboratorInputPayload(Struct):
    """``AgentCollaboratorInputPayload``."""

    return_control_results: ReturnControlResults | None = None
    text: str | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgentCollaboratorInvocationInput(Struct):
    """``AgentCollaboratorInvocationInput``."""

    agent_collaborator_alias_arn: str | None = None
    agent_collaborator_name: str | None = None
    input: AgentCollaboratorInputPayload | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgentCollaboratorInvocationOutput(Struct):
    """``AgentCollaboratorInvocationOutput``."""

    agent_collaborator_alias_arn: str | None = None
    agent_collaborator_name: str | None = None
    metadata: Metadata | None = None
    output: AgentCollaboratorOutputPayload | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgentCollaboratorOutputPayload(Struct):
    """``AgentCollaboratorOutputPayload``."""

    return_control_payload: ReturnControlPayload | None = None
    text: str | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgenticRetrieveAction(Struct):
    """``AgenticRetrieveAction``."""

    full_document_expansion: AgenticRetrieveFullDocExpansionDetails | None = None
    memory_retrieve: AgenticRetrieveMemoryRetrieveDetails | None = None
    retrieve: AgenticRetrieveActionDetails | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgenticRetrieveActionDetails(Struct):
    """``AgenticRetrieveActionDetails``."""

    input_query: AgenticRetrieveMessageContent
    source_retrievers: tuple[AgenticRetrieveSourceRetriever, ...]


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgenticRetrieveAppliedInstruction(Struct):
    """``AgenticRetrieveAppliedInstruction``."""

    id: str
    version: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgenticRetrieveCitation(Struct):
    """``AgenticRetrieveCitation``."""

    end_index: int
    references: tuple[AgenticRetrieveCitationReference, ...]
    start_index: int


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgenticRetrieveCitationReference(Struct):
    """``AgenticRetrieveCitationReference``."""

    result_index: int


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgenticRetrieveFailure(Struct):
    """``AgenticRetrieveFailure``."""

    message: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgenticRetrieveFullDocExpansionDetails(Struct):
    """``AgenticRetrieveFullDocExpansionDetails``."""

    document_id: str | None = None
    source_retriever: AgenticRetrieveSourceRetriever | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgenticRetrieveGeneratedResponse(Struct):
    """``AgenticRetrieveGeneratedResponse``."""

    answer: str
    citations: tuple[AgenticRetrieveCitation, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgenticRetrieveGuardrailWarning(UnionMember):
    """``AgenticRetrieveGuardrailWarning``: the ``guardrail`` member of ``AgenticRetrieveWarning``."""

    union_key: ClassVar[str] = "guardrail"
    action: str
    id: str
    version: str
    message: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgenticRetrieveMemoryRetrieveDetails(Struct):
    """``AgenticRetrieveMemoryRetrieveDetails``."""

    input_query: AgenticRetrieveMessageContent
    memory_id: str
    namespace: str | None = None
    namespace_path: str | None = None
    strategy_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgenticRetrieveMessageContent(Struct):
    """``AgenticRetrieveMessageContent``."""

    text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgenticRetrieveResultItem(Struct):
    """``AgenticRetrieveResultItem``."""

    content: RetrievalContent
    source_retriever: AgenticRetrieveSourceRetriever
    metadata: Mapping[str, JSON] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgenticRetrieveSourceMetadata(Struct):
    """``AgenticRetrieveSourceMetadata``."""

    identifier: str | None = None
    retrieval_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgenticRetrieveSourceRetriever(Struct):
    """``AgenticRetrieveSourceRetriever``."""

    identifier: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgenticRetrieveTraceEventAttributes(Struct):
    """``AgenticRetrieveTraceEventAttributes``."""

    message: str
    status: str
    step: str
    actions: tuple[AgenticRetrieveAction, ...] | None = None
    applied_instruction: AgenticRetrieveAppliedInstruction | None = None
    failures: tuple[AgenticRetrieveFailure, ...] | None = None
    retrieval_metadata: tuple[AgenticRetrieveSourceMetadata, ...] | None = None
    retrieval_response: tuple[AgenticRetrieveTraceResultItem, ...] | None = None
    warnings: tuple[AgenticRetrieveWarning, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgenticRetrieveTraceResultItem(Struct):
    """``AgenticRetrieveTraceResultItem``."""

    content: RetrievalContent | None = None
    metadata: Mapping[str, JSON] | None = None
    source_retriever: AgenticRetrieveSourceRetriever | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AgenticRetrieveWarningMessage(UnionMember):
    """``AgenticRetrieveWarningMessage``: the ``message`` member of ``AgenticRetrieveWarning``."""

    union_key: ClassVar[str] = "message"
    message: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ApiInvocationInput(UnionMember):
    """``ApiInvocationInput``: the ``apiInvocationInput`` member of ``InvocationInputMember``."""

    union_key: ClassVar[str] = "apiInvocationInput"
    action_group: str
    action_invocation_type: str | None = None
    agent_id: str | None = None
    api_path: str | None = None
    collaborator_name: str | None = None
    http_method: str | None = None
    parameters: tuple[ApiParameter, ...] | None = None
    request_body: ApiRequestBody | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ApiParameter(Struct):
    """``ApiParameter``."""

    name: str | None = None
    type: str | None = None
    value: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ApiRequestBody(Struct):
    """``ApiRequestBody``."""

    content: Mapping[str, PropertyParameters] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ApiResult(UnionMember):
    """``ApiResult``: the ``apiResult`` member of ``InvocationResultMember``."""

    union_key: ClassVar[str] = "apiResult"
    action_group: str
    agent_id: str | None = None
    api_path: str | None = None
    confirmation_state: str | None = None
    http_method: str | None = None
    http_status_code: int | None = None
    response_body: Mapping[str, ContentBody] | None = None
    response_state: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Attribution(Struct):
    """``Attribution``."""

    citations: tuple[Citation, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class AudioSegment(Struct):
    """``AudioSegment``."""

    s3_uri: str
    transcription: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Citation(Struct):
    """``Citation``."""

    generated_response_part: GeneratedResponsePart | None = None
    retrieved_references: tuple[RetrievedReference, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CodeInterpreterInvocationInput(Struct):
    """``CodeInterpreterInvocationInput``."""

    code: str | None = None
    files: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CodeInterpreterInvocationOutput(Struct):
    """``CodeInterpreterInvocationOutput``."""

    execution_error: str | None = None
    execution_output: str | None = None
    execution_timeout: bool | None = None
    files: tuple[str, ...] | None = None
    metadata: Metadata | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ContentBody(Struct):
    """``ContentBody``."""

    body: str | None = None
    images: tuple[ImageInput, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CustomOrchestrationTrace(UnionMember):
    """``CustomOrchestrationTrace``: the ``customOrchestrationTrace`` member of ``Trace``."""

    union_key: ClassVar[str] = "customOrchestrationTrace"
    event: CustomOrchestrationTraceEvent | None = None
    trace_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CustomOrchestrationTraceEvent(Struct):
    """``CustomOrchestrationTraceEvent``."""

    text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FailureTrace(UnionMember):
    """``FailureTrace``: the ``failureTrace`` member of ``Trace``."""

    union_key: ClassVar[str] = "failureTrace"
    failure_code: int | None = None
    failure_reason: str | None = None
    metadata: Metadata | None = None
    trace_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FinalResponse(Struct):
    """``FinalResponse``."""

    metadata: Metadata | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FlowTraceCondition(Struct):
    """``FlowTraceCondition``."""

    condition_name: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FlowTraceConditionNodeResultEvent(UnionMember):
    """``FlowTraceConditionNodeResultEvent``: the ``conditionNodeResultTrace`` member of ``FlowTrace``."""

    union_key: ClassVar[str] = "conditionNodeResultTrace"
    node_name: str
    satisfied_conditions: tuple[FlowTraceCondition, ...]
    timestamp: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FlowTraceDependencyEvent(UnionMember):
    """``FlowTraceDependencyEvent``: the ``nodeDependencyTrace`` member of ``FlowTrace``."""

    union_key: ClassVar[str] = "nodeDependencyTrace"
    node_name: str
    timestamp: str
    trace_elements: TraceElements


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FlowTraceNodeActionEvent(UnionMember):
    """``FlowTraceNodeActionEvent``: the ``nodeActionTrace`` member of ``FlowTrace``."""

    union_key: ClassVar[str] = "nodeActionTrace"
    node_name: str
    operation_name: str
    request_id: str
    service_name: str
    timestamp: str
    operation_request: JSON | None = None
    operation_response: JSON | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FlowTraceNodeInputEvent(UnionMember):
    """``FlowTraceNodeInputEvent``: the ``nodeInputTrace`` member of ``FlowTrace``."""

    union_key: ClassVar[str] = "nodeInputTrace"
    fields: tuple[FlowTraceNodeInputField, ...]
    node_name: str
    timestamp: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FlowTraceNodeInputExecutionChainItem(Struct):
    """``FlowTraceNodeInputExecutionChainItem``."""

    node_name: str
    type: str
    index: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FlowTraceNodeInputField(Struct):
    """``FlowTraceNodeInputField``."""

    content: FlowTraceNodeInputContent
    node_input_name: str
    category: str | None = None
    execution_chain: tuple[FlowTraceNodeInputExecutionChainItem, ...] | None = None
    source: FlowTraceNodeInputSource | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FlowTraceNodeInputSource(Struct):
    """``FlowTraceNodeInputSource``."""

    expression: str
    node_name: str
    output_field_name: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FlowTraceNodeOutputEvent(UnionMember):
    """``FlowTraceNodeOutputEvent``: the ``nodeOutputTrace`` member of ``FlowTrace``."""

    union_key: ClassVar[str] = "nodeOutputTrace"
    fields: tuple[FlowTraceNodeOutputField, ...]
    node_name: str
    timestamp: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FlowTraceNodeOutputField(Struct):
    """``FlowTraceNodeOutputField``."""

    content: FlowTraceNodeOutputContent
    node_output_name: str
    next: tuple[FlowTraceNodeOutputNext, ...] | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FlowTraceNodeOutputNext(Struct):
    """``FlowTraceNodeOutputNext``."""

    input_field_name: str
    node_name: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FunctionInvocationInput(UnionMember):
    """``FunctionInvocationInput``: the ``functionInvocationInput`` member of ``InvocationInputMember``."""

    union_key: ClassVar[str] = "functionInvocationInput"
    action_group: str
    action_invocation_type: str | None = None
    agent_id: str | None = None
    collaborator_name: str | None = None
    function: str | None = None
    parameters: tuple[FunctionParameter, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FunctionParameter(Struct):
    """``FunctionParameter``."""

    name: str | None = None
    type: str | None = None
    value: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FunctionResult(UnionMember):
    """``FunctionResult``: the ``functionResult`` member of ``InvocationResultMember``."""

    union_key: ClassVar[str] = "functionResult"
    action_group: str
    agent_id: str | None = None
    confirmation_state: str | None = None
    function: str | None = None
    response_body: Mapping[str, ContentBody] | None = None
    response_state: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GeneratedResponsePart(Struct):
    """``GeneratedResponsePart``."""

    text_response_part: TextResponsePart | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailAssessment(Struct):
    """``GuardrailAssessment``."""

    content_policy: GuardrailContentPolicyAssessment | None = None
    sensitive_information_policy: GuardrailSensitiveInformationPolicyAssessment | None = None
    topic_policy: GuardrailTopicPolicyAssessment | None = None
    word_policy: GuardrailWordPolicyAssessment | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailContentFilter(Struct):
    """``GuardrailContentFilter``."""

    action: str | None = None
    confidence: str | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailContentPolicyAssessment(Struct):
    """``GuardrailContentPolicyAssessment``."""

    filters: tuple[GuardrailContentFilter, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailCustomWord(Struct):
    """``GuardrailCustomWord``."""

    action: str | None = None
    match: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailManagedWord(Struct):
    """``GuardrailManagedWord``."""

    action: str | None = None
    match: str | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailPiiEntityFilter(Struct):
    """``GuardrailPiiEntityFilter``."""

    action: str | None = None
    match: str | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailRegexFilter(Struct):
    """``GuardrailRegexFilter``."""

    action: str | None = None
    match: str | None = None
    name: str | None = None
    regex: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailSensitiveInformationPolicyAssessment(Struct):
    """``GuardrailSensitiveInformationPolicyAssessment``."""

    pii_entities: tuple[GuardrailPiiEntityFilter, ...] | None = None
    regexes: tuple[GuardrailRegexFilter, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailTopic(Struct):
    """``GuardrailTopic``."""

    action: str | None = None
    name: str | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailTopicPolicyAssessment(Struct):
    """``GuardrailTopicPolicyAssessment``."""

    topics: tuple[GuardrailTopic, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailTrace(UnionMember):
    """``GuardrailTrace``: the ``guardrailTrace`` member of ``Trace``."""

    union_key: ClassVar[str] = "guardrailTrace"
    action: str | None = None
    input_assessments: tuple[GuardrailAssessment, ...] | None = None
    metadata: Metadata | None = None
    output_assessments: tuple[GuardrailAssessment, ...] | None = None
    trace_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class GuardrailWordPolicyAssessment(Struct):
    """``GuardrailWordPolicyAssessment``."""

    custom_words: tuple[GuardrailCustomWord, ...] | None = None
    managed_word_lists: tuple[GuardrailManagedWord, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ImageInput(Struct):
    """``ImageInput``."""

    format: str
    source: ImageInputSource


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class InferenceConfiguration(Struct):
    """``InferenceConfiguration``."""

    maximum_length: int | None = None
    stop_sequences: tuple[str, ...] | None = None
    temperature: float | None = None
    top_k: int | None = None
    top_p: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class InvocationInput(Struct):
    """``InvocationInput``."""

    action_group_invocation_input: ActionGroupInvocationInput | None = None
    agent_collaborator_invocation_input: AgentCollaboratorInvocationInput | None = None
    code_interpreter_invocation_input: CodeInterpreterInvocationInput | None = None
    invocation_type: str | None = None
    knowledge_base_lookup_input: KnowledgeBaseLookupInput | None = None
    trace_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class KnowledgeBaseLookupInput(Struct):
    """``KnowledgeBaseLookupInput``."""

    knowledge_base_id: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class KnowledgeBaseLookupOutput(Struct):
    """``KnowledgeBaseLookupOutput``."""

    metadata: Metadata | None = None
    retrieved_references: tuple[RetrievedReference, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Metadata(Struct):
    """``Metadata``."""

    client_request_id: str | None = None
    end_time: str | None = None
    operation_total_time_ms: int | None = None
    start_time: str | None = None
    total_time_ms: int | None = None
    usage: Usage | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ModelInvocationInput(Struct):
    """``ModelInvocationInput``."""

    foundation_model: str | None = None
    inference_configuration: InferenceConfiguration | None = None
    override_lambda: str | None = None
    parser_mode: str | None = None
    prompt_creation_mode: str | None = None
    text: str | None = None
    trace_id: str | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Observation(Struct):
    """``Observation``."""

    action_group_invocation_output: ActionGroupInvocationOutput | None = None
    agent_collaborator_invocation_output: AgentCollaboratorInvocationOutput | None = None
    code_interpreter_invocation_output: CodeInterpreterInvocationOutput | None = None
    final_response: FinalResponse | None = None
    knowledge_base_lookup_output: KnowledgeBaseLookupOutput | None = None
    reprompt_response: RepromptResponse | None = None
    trace_id: str | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class OrchestrationModelInvocationOutput(UnionMember):
    """``OrchestrationModelInvocationOutput``: the ``modelInvocationOutput`` member of ``OrchestrationTrace``."""

    union_key: ClassVar[str] = "modelInvocationOutput"
    metadata: Metadata | None = None
    raw_response: RawResponse | None = None
    reasoning_content: ReasoningContentBlock | None = None
    trace_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class OutputFile(Struct):
    """``OutputFile``."""

    bytes: builtins.bytes | None = None
    name: builtins.str | None = None
    type: builtins.str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Parameter(Struct):
    """``Parameter``."""

    name: str | None = None
    type: str | None = None
    value: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PostProcessingModelInvocationOutput(UnionMember):
    """``PostProcessingModelInvocationOutput``: the ``modelInvocationOutput`` member of ``PostProcessingTrace``."""

    union_key: ClassVar[str] = "modelInvocationOutput"
    metadata: Metadata | None = None
    parsed_response: PostProcessingParsedResponse | None = None
    raw_response: RawResponse | None = None
    reasoning_content: ReasoningContentBlock | None = None
    trace_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PostProcessingParsedResponse(Struct):
    """``PostProcessingParsedResponse``."""

    text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PreProcessingModelInvocationOutput(UnionMember):
    """``PreProcessingModelInvocationOutput``: the ``modelInvocationOutput`` member of ``PreProcessingTrace``."""

    union_key: ClassVar[str] = "modelInvocationOutput"
    metadata: Metadata | None = None
    parsed_response: PreProcessingParsedResponse | None = None
    raw_response: RawResponse | None = None
    reasoning_content: ReasoningContentBlock | None = None
    trace_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PreProcessingParsedResponse(Struct):
    """``PreProcessingParsedResponse``."""

    is_valid: bool | None = None
    rationale: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PropertyParameters(Struct):
    """``PropertyParameters``."""

    properties: tuple[Parameter, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Rationale(UnionMember):
    """``Rationale``: the ``rationale`` member of ``OrchestrationTrace``."""

    union_key: ClassVar[str] = "rationale"
    text: str | None = None
    trace_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RawResponse(Struct):
    """``RawResponse``."""

    content: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ReasoningTextBlock(UnionMember):
    """``ReasoningTextBlock``: the ``reasoningText`` member of ``ReasoningContentBlock``."""

    union_key: ClassVar[str] = "reasoningText"
    text: str
    signature: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RepromptResponse(Struct):
    """``RepromptResponse``."""

    source: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RequestBody(Struct):
    """``RequestBody``."""

    content: Mapping[str, tuple[Parameter, ...]] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RetrievalContent(Struct):
    """``RetrievalContent``."""

    mime_type: str
    byte_content: bytes | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RetrievalResultConfluenceLocation(Struct):
    """``RetrievalResultConfluenceLocation``."""

    url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RetrievalResultContent(Struct):
    """``RetrievalResultContent``."""

    audio: AudioSegment | None = None
    byte_content: str | None = None
    row: tuple[RetrievalResultContentColumn, ...] | None = None
    text: str | None = None
    type: str | None = None
    video: VideoSegment | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RetrievalResultContentColumn(Struct):
    """``RetrievalResultContentColumn``."""

    column_name: str | None = None
    column_value: str | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RetrievalResultCustomDocumentLocation(Struct):
    """``RetrievalResultCustomDocumentLocation``."""

    id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RetrievalResultGoogleDriveLocation(Struct):
    """``RetrievalResultGoogleDriveLocation``."""

    url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RetrievalResultKendraDocumentLocation(Struct):
    """``RetrievalResultKendraDocumentLocation``."""

    uri: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RetrievalResultLocation(Struct):
    """``RetrievalResultLocation``."""

    type: str
    confluence_location: RetrievalResultConfluenceLocation | None = None
    custom_document_location: RetrievalResultCustomDocumentLocation | None = None
    google_drive_location: RetrievalResultGoogleDriveLocation | None = None
    kendra_document_location: RetrievalResultKendraDocumentLocation | None = None
    one_drive_location: RetrievalResultOneDriveLocation | None = None
    s3_location: RetrievalResultS3Location | None = None
    salesforce_location: RetrievalResultSalesforceLocation | None = None
    share_point_location: RetrievalResultSharePointLocation | None = None
    sql_location: RetrievalResultSqlLocation | None = None
    web_location: RetrievalResultWebLocation | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RetrievalResultOneDriveLocation(Struct):
    """``RetrievalResultOneDriveLocation``."""

    url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RetrievalResultS3Location(Struct):
    """``RetrievalResultS3Location``."""

    uri: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RetrievalResultSalesforceLocation(Struct):
    """``RetrievalResultSalesforceLocation``."""

    url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RetrievalResultSharePointLocation(Struct):
    """``RetrievalResultSharePointLocation``."""

    url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RetrievalResultSqlLocation(Struct):
    """``RetrievalResultSqlLocation``."""

    query: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RetrievalResultWebLocation(Struct):
    """``RetrievalResultWebLocation``."""

    url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RetrievedReference(Struct):
    """``RetrievedReference``."""

    content: RetrievalResultContent | None = None
    location: RetrievalResultLocation | None = None
    metadata: Mapping[str, JSON] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ReturnControlResults(Struct):
    """``ReturnControlResults``."""

    invocation_id: str | None = None
    return_control_invocation_results: tuple[InvocationResultMember, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RoutingClassifierModelInvocationOutput(UnionMember):
    """``RoutingClassifierModelInvocationOutput``: the ``modelInvocationOutput`` member of ``RoutingClassifierTrace``."""

    union_key: ClassVar[str] = "modelInvocationOutput"
    metadata: Metadata | None = None
    raw_response: RawResponse | None = None
    trace_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Span(Struct):
    """``Span``."""

    end: int | None = None
    start: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TextPrompt(UnionMember):
    """``TextPrompt``: the ``textPrompt`` member of ``OptimizedPrompt``."""

    union_key: ClassVar[str] = "textPrompt"
    text: str


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TextResponsePart(Struct):
    """``TextResponsePart``."""

    span: Span | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Usage(Struct):
    """``Usage``."""

    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class VideoSegment(Struct):
    """``VideoSegment``."""

    s3_uri: str
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class UnknownAgenticRetrieveWarning:
    """A ``AgenticRetrieveWarning`` member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class CallerAgentAliasArn(UnionMember):
    """The ``agentAliasArn`` member of ``Caller``: its value is ``agent_alias_arn``."""

    union_key: ClassVar[str] = "agentAliasArn"
    wraps: ClassVar[str | None] = "agent_alias_arn"
    agent_alias_arn: str


@dataclass(frozen=True, slots=True)
class UnknownCaller:
    """A ``Caller`` member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FlowMultiTurnInputContentDocument(UnionMember):
    """The ``document`` member of ``FlowMultiTurnInputContent``: its value is ``document``."""

    union_key: ClassVar[str] = "document"
    wraps: ClassVar[str | None] = "document"
    document: JSON


@dataclass(frozen=True, slots=True)
class UnknownFlowMultiTurnInputContent:
    """A ``FlowMultiTurnInputContent`` member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FlowOutputContentDocument(UnionMember):
    """The ``document`` member of ``FlowOutputContent``: its value is ``document``."""

    union_key: ClassVar[str] = "document"
    wraps: ClassVar[str | None] = "document"
    document: JSON


@dataclass(frozen=True, slots=True)
class UnknownFlowOutputContent:
    """A ``FlowOutputContent`` member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


@dataclass(frozen=True, slots=True)
class UnknownFlowTrace:
    """A ``FlowTrace`` member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FlowTraceNodeInputContentDocument(UnionMember):
    """The ``document`` member of ``FlowTraceNodeInputContent``: its value is ``document``."""

    union_key: ClassVar[str] = "document"
    wraps: ClassVar[str | None] = "document"
    document: JSON


@dataclass(frozen=True, slots=True)
class UnknownFlowTraceNodeInputContent:
    """A ``FlowTraceNodeInputContent`` member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class FlowTraceNodeOutputContentDocument(UnionMember):
    """The ``document`` member of ``FlowTraceNodeOutputContent``: its value is ``document``."""

    union_key: ClassVar[str] = "document"
    wraps: ClassVar[str | None] = "document"
    document: JSON


@dataclass(frozen=True, slots=True)
class UnknownFlowTraceNodeOutputContent:
    """A ``FlowTraceNodeOutputContent`` member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ImageInputSourceBytes(UnionMember):
    """The ``bytes`` member of ``ImageInputSource``: its value is ``bytes``."""

    union_key: ClassVar[str] = "bytes"
    wraps: ClassVar[str | None] = "bytes"
    bytes: builtins.bytes


@dataclass(frozen=True, slots=True)
class UnknownImageInputSource:
    """A ``ImageInputSource`` member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


@dataclass(frozen=True, slots=True)
class UnknownInvocationInputMember:
    """A ``InvocationInputMember`` member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


@dataclass(frozen=True, slots=True)
class UnknownInvocationResultMember:
    """A ``InvocationResultMember`` member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


@dataclass(frozen=True, slots=True)
class UnknownOptimizedPrompt:
    """A ``OptimizedPrompt`` member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class OrchestrationTraceInvocationInput(UnionMember):
    """The ``invocationInput`` member of ``OrchestrationTrace``: its value is ``invocation_input``."""

    union_key: ClassVar[str] = "invocationInput"
    wraps: ClassVar[str | None] = "invocation_input"
    invocation_input: InvocationInput


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class OrchestrationTraceModelInvocationInput(UnionMember):
    """The ``modelInvocationInput`` member of ``OrchestrationTrace``: its value is ``model_invocation_input``."""

    union_key: ClassVar[str] = "modelInvocationInput"
    wraps: ClassVar[str | None] = "model_invocation_input"
    model_invocation_input: ModelInvocationInput


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class OrchestrationTraceObservation(UnionMember):
    """The ``observation`` member of ``OrchestrationTrace``: its value is ``observation``."""

    union_key: ClassVar[str] = "observation"
    wraps: ClassVar[str | None] = "observation"
    observation: Observation


@dataclass(frozen=True, slots=True)
class UnknownOrchestrationTrace:
    """A ``OrchestrationTrace`` member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PostProcessingTraceModelInvocationInput(UnionMember):
    """The ``modelInvocationInput`` member of ``PostProcessingTrace``: its value is ``model_invocation_input``."""

    union_key: ClassVar[str] = "modelInvocationInput"
    wraps: ClassVar[str | None] = "model_invocation_input"
    model_invocation_input: ModelInvocationInput


@dataclass(frozen=True, slots=True)
class UnknownPostProcessingTrace:
    """A ``PostProcessingTrace`` member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class PreProcessingTraceModelInvocationInput(UnionMember):
    """The ``modelInvocationInput`` member of ``PreProcessingTrace``: its value is ``model_invocation_input``."""

    union_key: ClassVar[str] = "modelInvocationInput"
    wraps: ClassVar[str | None] = "model_invocation_input"
    model_invocation_input: ModelInvocationInput


@dataclass(frozen=True, slots=True)
class UnknownPreProcessingTrace:
    """A ``PreProcessingTrace`` member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class ReasoningContentBlockRedactedContent(UnionMember):
    """The ``redactedContent`` member of ``ReasoningContentBlock``: its value is ``redacted_content``."""

    union_key: ClassVar[str] = "redactedContent"
    wraps: ClassVar[str | None] = "redacted_content"
    redacted_content: bytes


@dataclass(frozen=True, slots=True)
class UnknownReasoningContentBlock:
    """A ``ReasoningContentBlock`` member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RoutingClassifierTraceInvocationInput(UnionMember):
    """The ``invocationInput`` member of ``RoutingClassifierTrace``: its value is ``invocation_input``."""

    union_key: ClassVar[str] = "invocationInput"
    wraps: ClassVar[str | None] = "invocation_input"
    invocation_input: InvocationInput


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RoutingClassifierTraceModelInvocationInput(UnionMember):
    """The ``modelInvocationInput`` member of ``RoutingClassifierTrace``: its value is ``model_invocation_input``."""

    union_key: ClassVar[str] = "modelInvocationInput"
    wraps: ClassVar[str | None] = "model_invocation_input"
    model_invocation_input: ModelInvocationInput


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RoutingClassifierTraceObservation(UnionMember):
    """The ``observation`` member of ``RoutingClassifierTrace``: its value is ``observation``."""

    union_key: ClassVar[str] = "observation"
    wraps: ClassVar[str | None] = "observation"
    observation: Observation


@dataclass(frozen=True, slots=True)
class UnknownRoutingClassifierTrace:
    """A ``RoutingClassifierTrace`` member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TraceOrchestrationTrace(UnionMember):
    """The ``orchestrationTrace`` member of ``Trace``: its value is ``orchestration_trace``."""

    union_key: ClassVar[str] = "orchestrationTrace"
    wraps: ClassVar[str | None] = "orchestration_trace"
    orchestration_trace: OrchestrationTrace


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TracePostProcessingTrace(UnionMember):
    """The ``postProcessingTrace`` member of ``Trace``: its value is ``post_processing_trace``."""

    union_key: ClassVar[str] = "postProcessingTrace"
    wraps: ClassVar[str | None] = "post_processing_trace"
    post_processing_trace: PostProcessingTrace


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TracePreProcessingTrace(UnionMember):
    """The ``preProcessingTrace`` member of ``Trace``: its value is ``pre_processing_trace``."""

    union_key: ClassVar[str] = "preProcessingTrace"
    wraps: ClassVar[str | None] = "pre_processing_trace"
    pre_processing_trace: PreProcessingTrace


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TraceRoutingClassifierTrace(UnionMember):
    """The ``routingClassifierTrace`` member of ``Trace``: its value is ``routing_classifier_trace``."""

    union_key: ClassVar[str] = "routingClassifierTrace"
    wraps: ClassVar[str | None] = "routing_classifier_trace"
    routing_classifier_trace: RoutingClassifierTrace


@dataclass(frozen=True, slots=True)
class UnknownTrace:
    """A ``Trace`` member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class TraceElementsAgentTraces(UnionMember):
    """The ``agentTraces`` member of ``TraceElements``: its value is ``agent_traces``."""

    union_key: ClassVar[str] = "agentTraces"
    wraps: ClassVar[str | None] = "agent_traces"
    agent_traces: tuple[TracePart, ...]


@dataclass(frozen=True, slots=True)
class UnknownTraceElements:
    """A ``TraceElements`` member this library does not know yet, kept as raw JSON."""

    member: str
    value: JSON = field(hash=False)


class AccessDeniedException(ServiceException):
    """``accessDeniedException`` (HTTP 403); not retryable."""

    exception_type = "accessDeniedException"
    status_code = 403


class BadGatewayException(ServiceException):
    """``badGatewayException`` (HTTP 502); retryable."""

    exception_type = "badGatewayException"
    status_code = 502
    retryable = True
    _fields = (("resource_name", "resourceName", str),)

    def __init__(
        self, message: str = "", *, resource_name: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.resource_name = resource_name


class ConflictException(ServiceException):
    """``conflictException`` (HTTP 409); not retryable."""

    exception_type = "conflictException"
    status_code = 409


class DependencyFailedException(ServiceException):
    """``dependencyFailedException`` (HTTP 424); not retryable."""

    exception_type = "dependencyFailedException"
    status_code = 424
    _fields = (("resource_name", "resourceName", str),)

    def __init__(
        self, message: str = "", *, resource_name: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.resource_name = resource_name


class InternalServerException(ServiceException):
    """``internalServerException`` (HTTP 500); retryable."""

    exception_type = "internalServerException"
    status_code = 500
    retryable = True
    _fields = (("reason", "reason", str),)

    def __init__(self, message: str = "", *, reason: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reason = reason


class ModelNotReadyException(ServiceException):
    """``modelNotReadyException`` (HTTP 424); not retryable."""

    exception_type = "modelNotReadyException"
    status_code = 424


class ResourceNotFoundException(ServiceException):
    """``resourceNotFoundException`` (HTTP 404); not retryable."""

    exception_type = "resourceNotFoundException"
    status_code = 404


class ServiceQuotaExceededException(ServiceException):
    """``serviceQuotaExceededException`` (HTTP 400); not retryable."""

    exception_type = "serviceQuotaExceededException"
    status_code = 400


class ThrottlingException(ServiceException):
    """``throttlingException`` (HTTP 429); retryable."""

    exception_type = "throttlingException"
    status_code = 429
    retryable = True


class ValidationException(ServiceException):
    """``validationException`` (HTTP 400); not retryable."""

    exception_type = "validationException"
    status_code = 400


AgenticRetrieveWarning = (
    AgenticRetrieveGuardrailWarning | AgenticRetrieveWarningMessage | UnknownAgenticRetrieveWarning
)
Caller = CallerAgentAliasArn | UnknownCaller
FlowMultiTurnInputContent = FlowMultiTurnInputContentDocument | UnknownFlowMultiTurnInputContent
FlowOutputContent = FlowOutputContentDocument | UnknownFlowOutputContent
FlowTrace = (
    FlowTraceConditionNodeResultEvent
    | FlowTraceNodeActionEvent
    | FlowTraceDependencyEvent
    | FlowTraceNodeInputEvent
    | FlowTraceNodeOutputEvent
    | UnknownFlowTrace
)
FlowTraceNodeInputContent = FlowTraceNodeInputContentDocument | UnknownFlowTraceNodeInputContent
FlowTraceNodeOutputContent = FlowTraceNodeOutputContentDocument | UnknownFlowTraceNodeOutputContent
ImageInputSource = ImageInputSourceBytes | UnknownImageInputSource
InvocationInputMember = ApiInvocationInput | FunctionInvocationInput | UnknownInvocationInputMember
InvocationResultMember = ApiResult | FunctionResult | UnknownInvocationResultMember
OptimizedPrompt = TextPrompt | UnknownOptimizedPrompt
OrchestrationTrace = (
    OrchestrationTraceInvocationInput
    | OrchestrationTraceModelInvocationInput
    | OrchestrationModelInvocationOutput
    | OrchestrationTraceObservation
    | Rationale
    | UnknownOrchestrationTrace
)
PostProcessingTrace = (
    PostProcessingTraceModelInvocationInput
    | PostProcessingModelInvocationOutput
    | UnknownPostProcessingTrace
)
PreProcessingTrace = (
    PreProcessingTraceModelInvocationInput
    | PreProcessingModelInvocationOutput
    | UnknownPreProcessingTrace
)
ReasoningContentBlock = (
    ReasoningTextBlock | ReasoningContentBlockRedactedContent | UnknownReasoningContentBlock
)
RoutingClassifierTrace = (
    RoutingClassifierTraceInvocationInput
    | RoutingClassifierTraceModelInvocationInput
    | RoutingClassifierModelInvocationOutput
    | RoutingClassifierTraceObservation
    | UnknownRoutingClassifierTrace
)
Trace = (
    CustomOrchestrationTrace
    | FailureTrace
    | GuardrailTrace
    | TraceOrchestrationTrace
    | TracePostProcessingTrace
    | TracePreProcessingTrace
    | TraceRoutingClassifierTrace
    | UnknownTrace
)
TraceElements = TraceElementsAgentTraces | UnknownTraceElements

#: Each stream operation's union, by our stream name.
STREAMS = {
    s.name: s
    for s in (
        ServiceStream(
            "agent",
            "bedrock-agent-runtime",
            "ResponseStream",
            "InvokeAgent",
            "response",
            (
                PayloadPart,
                FilePart,
                ReturnControlPayload,
                TracePart,
            ),
            (
                AccessDeniedException,
                BadGatewayException,
                ConflictException,
                DependencyFailedException,
                InternalServerException,
                ModelNotReadyException,
                ResourceNotFoundException,
                ServiceQuotaExceededException,
                ThrottlingException,
                ValidationException,
            ),
            "/agents/{agentId}/agentAliases/{agentAliasId}/sessions/{sessionId}/text",
        ),
        ServiceStream(
            "inline-agent",
            "bedrock-agent-runtime",
            "InlineAgentResponseStream",
            "InvokeInlineAgent",
            "response",
            (
                InlineAgentPayloadPart,
                InlineAgentFilePart,
                InlineAgentReturnControlPayload,
                InlineAgentTracePart,
            ),
            (
                AccessDeniedException,
                BadGatewayException,
                ConflictException,
                DependencyFailedException,
                InternalServerException,
                ResourceNotFoundException,
                ServiceQuotaExceededException,
                ThrottlingException,
                ValidationException,
            ),
            "/agents/{sessionId}",
        ),
        ServiceStream(
            "flow",
            "bedrock-agent-runtime",
            "FlowResponseStream",
            "InvokeFlow",
            "response",
            (
                FlowCompletionEvent,
                FlowMultiTurnInputRequestEvent,
                FlowOutputEvent,
                FlowTraceEvent,
            ),
            (
                AccessDeniedException,
                BadGatewayException,
                ConflictException,
                DependencyFailedException,
                InternalServerException,
                ResourceNotFoundException,
                ServiceQuotaExceededException,
                ThrottlingException,
                ValidationException,
            ),
            "/flows/{flowIdentifier}/aliases/{flowAliasIdentifier}",
        ),
        ServiceStream(
            "retrieve-and-generate",
            "bedrock-agent-runtime",
            "RetrieveAndGenerateStreamResponseOutput",
            "RetrieveAndGenerateStream",
            "response",
            (
                CitationEvent,
                GuardrailEvent,
                RetrieveAndGenerateOutputEvent,
            ),
            (
                AccessDeniedException,
                BadGatewayException,
                ConflictException,
                DependencyFailedException,
                InternalServerException,
                ResourceNotFoundException,
                ServiceQuotaExceededException,
                ThrottlingException,
                ValidationException,
            ),
            "/retrieveAndGenerateStream",
        ),
        ServiceStream(
            "optimize-prompt",
            "bedrock-agent-runtime",
            "OptimizedPromptStream",
            "OptimizePrompt",
            "response",
            (
                AnalyzePromptEvent,
                OptimizedPromptEvent,
            ),
            (
                AccessDeniedException,
                BadGatewayException,
                DependencyFailedException,
                InternalServerException,
                ThrottlingException,
                ValidationException,
            ),
            "/optimize-prompt",
        ),
        ServiceStream(
            "agentic-retrieve",
            "bedrock-agent-runtime",
            "AgenticRetrieveStreamResponseOutput",
            "AgenticRetrieveStream",
            "response",
            (
                AgenticRetrieveResponseEvent,
                AgenticRetrieveResultEvent,
                AgenticRetrieveTraceEvent,
            ),
            (
                AccessDeniedException,
                BadGatewayException,
                ConflictException,
                DependencyFailedException,
                InternalServerException,
                ResourceNotFoundException,
                ServiceQuotaExceededException,
                ThrottlingException,
                ValidationException,
            ),
            "/agenticRetrieveStream",
        ),
    )
}
