"""Nova Sonic's events inside the bidirectional stream's chunks: typed both ways, through
Bedrock's frames and botocore's parser, in the documented order, and transcribed.

The sessions here follow AWS's "Handling input events with the bidirectional API" and
"Handling output events with the bidirectional API" (Amazon Nova user guide): input
sessionStart → promptStart → content blocks (system prompt first, history, one audio block)
→ promptEnd → sessionEnd; output completionStart → blocks (USER transcript FINAL, ASSISTANT
SPECULATIVE text, audio, ASSISTANT FINAL text) → usageEvent → completionEnd.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

import eventstream as es
from eventstream import bedrock as br
from eventstream.bedrock import nova_sonic as ns

from .test_bedrock_model import MODEL, _botocore_reads

PCM = bytes(range(256)) * 4  # ~32 ms of 16 kHz 16-bit mono is 1024 bytes
SPECULATIVE = '{"generationStage":"SPECULATIVE"}'
FINAL = '{"generationStage":"FINAL"}'


def session() -> list[ns.InputEvent]:
    p = "prompt-1"
    return [
        ns.SessionStart(
            inference_configuration=ns.InferenceConfiguration(
                max_tokens=1024, top_p=0.9, temperature=0.7
            )
        ),
        ns.PromptStart(
            prompt_name=p,
            text_output_configuration=ns.MediaConfiguration(media_type="text/plain"),
            audio_output_configuration=ns.AudioConfiguration(
                media_type="audio/lpcm",
                sample_rate_hertz=24000,
                sample_size_bits=16,
                channel_count=1,
                voice_id="matthew",
                encoding="base64",
                audio_type="SPEECH",
            ),
            tool_configuration=ns.ToolConfiguration(
                tools=(
                    ns.Tool(
                        tool_spec=ns.ToolSpec(
                            name="getWeather",
                            description="The weather",
                            input_schema={"json": '{"type":"object"}'},
                        )
                    ),
                )
            ),
        ),
        ns.ContentStart(
            prompt_name=p,
            content_name="system",
            type="TEXT",
            interactive=False,
            role="SYSTEM",
            text_input_configuration=ns.MediaConfiguration(media_type="text/plain"),
        ),
        ns.TextInput(prompt_name=p, content_name="system", content="You are a friend."),
        ns.ContentEnd(prompt_name=p, content_name="system"),
        ns.ContentStart(prompt_name=p, content_name="history-1", type="TEXT", role="USER"),
        ns.TextInput(prompt_name=p, content_name="history-1", content="Hi there."),
        ns.ContentEnd(prompt_name=p, content_name="history-1"),
        ns.ContentStart(
            prompt_name=p,
            content_name="audio",
            type="AUDIO",
            interactive=True,
            role="USER",
            audio_input_configuration=ns.AudioConfiguration(
                media_type="audio/lpcm",
                sample_rate_hertz=16000,
                sample_size_bits=16,
                channel_count=1,
                audio_type="SPEECH",
                encoding="base64",
            ),
        ),
        ns.AudioInput(prompt_name=p, content_name="audio", content=PCM),
        ns.AudioInput(prompt_name=p, content_name="audio", content=PCM[::-1]),
        ns.ContentStart(
            prompt_name=p,
            content_name="tool-1",
            type="TOOL",
            interactive=False,
            role="TOOL",
            tool_result_input_configuration=ns.ToolResultInputConfiguration(
                tool_use_id="t-1",
                type="TEXT",
                text_input_configuration=ns.MediaConfiguration(media_type="text/plain"),
            ),
        ),
        ns.ToolResult(prompt_name=p, content_name="tool-1", content='{"forecast":"sun"}'),
        ns.ContentEnd(prompt_name=p, content_name="tool-1"),
        ns.AudioInput(prompt_name=p, content_name="audio", content=PCM),
        ns.ContentEnd(prompt_name=p, content_name="audio"),
        ns.PromptEnd(prompt_name=p),
        ns.SessionEnd(),
    ]


def response() -> list[ns.OutputEvent]:
    ids = {"session_id": "s-1", "prompt_name": "prompt-1", "completion_id": "c-1"}
    return [
        ns.CompletionStart(**ids),
        ns.OutputContentStart(
            **ids, content_id="u", type="TEXT", role="USER", additional_model_fields=FINAL
        ),
        ns.TextOutput(**ids, content_id="u", role="USER", content="What's the weather?"),
        ns.OutputContentEnd(**ids, content_id="u", type="TEXT", stop_reason="PARTIAL_TURN"),
        ns.OutputContentStart(**ids, content_id="tool", type="TOOL", role="TOOL"),
        ns.ToolUse(
            **ids,
            content_id="tool",
            tool_name="getWeather",
            tool_use_id="t-1",
            content='{"city":"Lyon"}',
        ),
        ns.OutputContentEnd(**ids, content_id="tool", type="TOOL", stop_reason="TOOL_USE"),
        ns.OutputContentStart(
            **ids,
            content_id="a1",
            type="TEXT",
            role="ASSISTANT",
            additional_model_fields=SPECULATIVE,
        ),
        ns.TextOutput(**ids, content_id="a1", role="ASSISTANT", content="It is sunny "),
        ns.TextOutput(**ids, content_id="a1", role="ASSISTANT", content="in Lyon, I think."),
        ns.OutputContentEnd(**ids, content_id="a1", type="TEXT", stop_reason="PARTIAL_TURN"),
        ns.OutputContentStart(**ids, content_id="voice", type="AUDIO", role="ASSISTANT"),
        ns.AudioOutput(**ids, content_id="voice", content=PCM[:300]),
        ns.AudioOutput(**ids, content_id="voice", content=PCM[300:]),
        ns.OutputContentEnd(**ids, content_id="voice", type="AUDIO", stop_reason="END_TURN"),
        ns.OutputContentStart(
            **ids, content_id="a2", type="TEXT", role="ASSISTANT", additional_model_fields=FINAL
        ),
        ns.TextOutput(**ids, content_id="a2", role="ASSISTANT", content="It is sunny in Lyon."),
        ns.OutputContentEnd(**ids, content_id="a2", type="TEXT", stop_reason="END_TURN"),
        ns.UsageEvent(
            **ids,
            details=ns.UsageDetails(
                delta=ns.UsageTokens(
                    input=ns.TokenCounts(speech_tokens=10, text_tokens=0),
                    output=ns.TokenCounts(speech_tokens=5, text_tokens=7),
                ),
                total=ns.UsageTokens(
                    input=ns.TokenCounts(speech_tokens=10, text_tokens=30),
                    output=ns.TokenCounts(speech_tokens=5, text_tokens=7),
                ),
            ),
            total_input_tokens=40,
            total_output_tokens=12,
            total_tokens=52,
        ),
        ns.CompletionEnd(**ids, stop_reason="END_TURN"),
    ]


# --- the wire ---------------------------------------------------------------------------------


def _output_frames(events: list[ns.OutputEvent]) -> bytes:
    chunks = [br.Chunk(bytes=ns.encode(event)) for event in events]
    return b"".join(br.encode_event(chunk, padding=False).encode() for chunk in chunks)


def test_a_session_goes_through_bedrocks_frames_and_back() -> None:
    events = session()
    frames = b"".join(br.encode_event(ns.input_chunk(e)).encode() for e in events)
    chunks = list(br.events(frames, "bidirectional-input"))
    assert list(ns.input_events(chunks)) == events  # type: ignore[arg-type]
    # botocore reads our frames as the input union of its own model, chunk bytes and all.
    union = MODEL.shape_for("InvokeModelWithBidirectionalStreamInput")
    parsed = _botocore_reads(frames, union, "InvokeModelWithBidirectionalStream")
    assert [p["chunk"]["bytes"] for p in parsed] == [ns.encode(e) for e in events]


def test_a_response_reads_from_what_botocore_reads() -> None:
    events = response()
    data = _output_frames(events)
    union = MODEL.shape_for("InvokeModelWithBidirectionalStreamOutput")
    parsed = _botocore_reads(data, union, "InvokeModelWithBidirectionalStream")
    assert [ns.decode_output(p["chunk"]["bytes"]) for p in parsed] == events
    assert list(ns.output_events(br.events(data, "bidirectional-output"))) == events


def test_audio_is_bytes_here_and_base64_on_the_wire() -> None:
    event = ns.AudioInput(prompt_name="p", content_name="a", content=PCM)
    wire = json.loads(ns.encode(event))
    assert wire == {
        "event": {
            "audioInput": {
                "promptName": "p",
                "contentName": "a",
                "content": base64.b64encode(PCM).decode(),
            }
        }
    }
    assert ns.decode_input(json.dumps(wire).encode()).content == PCM  # type: ignore[union-attr]
    with pytest.raises(ns.NovaSonicError, match=r"event\.audioInput\.content"):
        ns.decode_input(
            b'{"event":{"audioInput":{"promptName":"p","contentName":"a","content":"!"}}}'
        )


@pytest.mark.parametrize("index", range(len(session())))
def test_each_input_event_is_byte_faithful(index: int) -> None:
    event = session()[index]
    data = ns.encode(event)
    again = ns.decode_input(data)
    assert again == event and ns.encode(again) == data
    assert isinstance(again, ns.UnknownInputEvent) or type(again).union_key in data.decode()


def test_unknown_keys_and_events_are_kept_whole() -> None:
    data = (
        b'{"event":{"contentStart":{"contentName":"c","future":[1,{"x":null}],'
        b'"promptName":"p","role":"SYSTEM","type":"TEXT"}}}'
    )
    event = ns.decode_input(data)
    assert isinstance(event, ns.ContentStart) and dict(event.extra) == {"future": [1, {"x": None}]}
    assert ns.encode(event) == data
    future = b'{"event":{"bargeInNotice":{"at":12,"promptName":"p"}}}'
    for decode in (ns.decode_input, ns.decode_output):
        unknown = decode(future)
        assert isinstance(unknown, ns.UnknownInputEvent | ns.UnknownOutputEvent)
        assert unknown.member == "bargeInNotice" and ns.encode(unknown) == future


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[]",
        b'{"event":{}}',
        b'{"event":{"a":{},"b":{}}}',
        b'{"event":{},"x":1}',
        b'{"event":{"textInput":{"promptName":"p","contentName":"c"}}}',
        b'{"event":{"textInput":{"promptName":"p","contentName":"c","content":3}}}',
    ],
)
def test_what_is_not_an_event_is_refused_with_its_place(data: bytes) -> None:
    with pytest.raises(ns.NovaSonicError) as caught:
        ns.decode_input(data)
    assert isinstance(caught.value, es.EventStreamError)
    with pytest.raises(ns.NovaSonicError):
        ns.decode_input(br.Chunk())


# --- the documented order ---------------------------------------------------------------------


def test_the_documented_orders_pass() -> None:
    assert ns.input_violations(session()) == ()
    assert ns.output_violations(response()) == ()
    ns.check_input_order(session())
    ns.check_output_order(response())


def _swap(events: list[Any], i: int, j: int) -> list[Any]:
    events = list(events)
    events[i], events[j] = events[j], events[i]
    return events


P = "prompt-1"
#: A planted break of the input order: the session, where it is reported, what is expected.
INPUT_BREAKS: dict[str, tuple[list[ns.InputEvent], int, str]] = {
    "prompt before session": (_swap(session(), 0, 1), 0, "sessionStart first"),
    "session twice": (session()[:1] + session(), 1, "sessionStart once"),
    "text before its contentStart": (_swap(session(), 2, 3), 2, "contentStart of 'system'"),
    "audio in a text block": (
        [
            *session()[:4],
            ns.AudioInput(prompt_name=P, content_name="system", content=b"x"),
            *session()[4:],
        ],
        4,
        "audioInput only in a content of type AUDIO",
    ),
    "history after audio": (
        [
            *session()[:10],
            ns.ContentStart(prompt_name=P, content_name="late", type="TEXT", role="ASSISTANT"),
            *session()[10:],
        ],
        10,
        "conversation history before audio",
    ),
    "system prompt not first": (session()[:2] + session()[5:], 2, "the system prompt"),
    "two audio blocks": (
        [
            *session()[:9],
            ns.ContentStart(prompt_name=P, content_name="audio-2", type="AUDIO", role="USER"),
            *session()[9:],
        ],
        9,
        "one audio content at a time",
    ),
    "promptEnd with a block open": (session()[:15] + session()[16:], 15, "contentEnd of 'audio'"),
    "sessionEnd with the prompt open": (
        session()[:16] + session()[17:],
        16,
        "promptEnd of 'prompt-1' before sessionEnd",
    ),
    "event after sessionEnd": (
        [*session(), ns.PromptEnd(prompt_name=P)],
        18,
        "nothing after sessionEnd",
    ),
    "another promptName": (
        [
            *session()[:3],
            ns.TextInput(prompt_name="other", content_name="system", content="x"),
            *session()[3:],
        ],
        3,
        "promptName 'prompt-1'",
    ),
    "a contentName twice": (session()[:5] + session()[2:5] + session()[5:], 5, "a new contentName"),
    "no sessionEnd": (session()[:-1], 17, "sessionEnd to close the session"),
    "content outside a prompt": (session()[:1] + session()[2:], 1, "promptStart before it"),
}


@pytest.mark.parametrize("name", list(INPUT_BREAKS))
def test_each_planted_input_break_is_reported_where_it_is(name: str) -> None:
    events, index, expected = INPUT_BREAKS[name]
    violations = ns.input_violations(events)
    assert violations, name
    first = violations[0]
    assert first.index == index and expected in first.expected, violations
    with pytest.raises(ns.NovaSonicOrderError) as caught:
        ns.check_input_order(events)
    assert caught.value.frame_index == index and caught.value.violations == violations
    assert f"event {index}" in str(caught.value)


def test_a_typed_turn_after_audio_is_not_history() -> None:
    turn = [
        ns.ContentStart(
            prompt_name=P, content_name="typed", type="TEXT", role="USER", interactive=True
        ),
        ns.TextInput(prompt_name=P, content_name="typed", content="And tomorrow?"),
        ns.ContentEnd(prompt_name=P, content_name="typed"),
    ]
    assert ns.input_violations(session()[:10] + turn + session()[10:]) == ()


def test_an_open_session_is_in_order_so_far() -> None:
    assert ns.input_violations(session()[:10], complete=False) == ()
    assert ns.output_violations(response()[:10], complete=False) == ()


IDS = {"session_id": "s-1", "prompt_name": "prompt-1", "completion_id": "c-1"}
OUTPUT_BREAKS: dict[str, tuple[list[ns.OutputEvent], int, str]] = {
    "content before completionStart": (response()[1:], 0, "completionStart before it"),
    "text before its contentStart": (_swap(response(), 1, 2), 1, "contentStart of 'u'"),
    "audio in a text block": (
        [*response()[:3], ns.AudioOutput(**IDS, content_id="u", content=b"x"), *response()[3:]],
        3,
        "audioOutput only in a content of type AUDIO",
    ),
    "completionEnd with a block open": (
        response()[:-3] + response()[-2:],
        18,
        "contentEnd of 'a2' before completionEnd",
    ),
    "another completionId": (
        [
            *response()[:2],
            ns.TextOutput(**{**IDS, "completion_id": "c-2"}, content_id="u", content="x"),
            *response()[2:],
        ],
        2,
        "completionId 'c-1'",
    ),
    "a completion inside a completion": (
        response()[:1] + response()[:1] + response()[1:],
        1,
        "completionEnd of 'c-1'",
    ),
    "no completionEnd": (response()[:-1], 19, "completionEnd of 'c-1'"),
}


@pytest.mark.parametrize("name", list(OUTPUT_BREAKS))
def test_each_planted_output_break_is_reported_where_it_is(name: str) -> None:
    events, index, expected = OUTPUT_BREAKS[name]
    violations = ns.output_violations(events)
    assert violations, name
    assert violations[0].index == index and expected in violations[0].expected, violations
    with pytest.raises(ns.NovaSonicOrderError):
        ns.check_output_order(events)


# --- the transcript ---------------------------------------------------------------------------


def test_the_transcript_keeps_speculative_and_final_apart() -> None:
    transcript = ns.transcribe(response())
    assert transcript.user == "What's the weather?"
    assert transcript.speculative == "It is sunny in Lyon, I think."
    assert transcript.final == "It is sunny in Lyon."
    assert transcript.audio == PCM
    assert [t.tool_name for t in transcript.tool_uses] == ["getWeather"]
    assert transcript.stop_reason == "END_TURN" and not transcript.interrupted
    assert transcript.usage is not None and transcript.usage.total_tokens == 52
    assert [(p.role, p.stage) for p in transcript.parts] == [
        ("USER", "FINAL"),
        ("ASSISTANT", "SPECULATIVE"),
        ("ASSISTANT", "FINAL"),
    ]


def test_a_barge_in_is_noticed_and_not_transcribed() -> None:
    events = [
        *response()[:13],
        ns.TextOutput(**IDS, content_id="a1", role="ASSISTANT", content='{ "interrupted" : true }'),
        ns.OutputContentEnd(**IDS, content_id="voice", type="AUDIO", stop_reason="INTERRUPTED"),
    ]
    assert events[13].interrupted  # type: ignore[union-attr]
    transcript = ns.transcribe(events)
    assert transcript.interrupted and "interrupted" not in transcript.text(None, None)
    assert transcript.audio == PCM[:300]
    ended = ns.transcribe(
        [
            *response()[:14],
            ns.OutputContentEnd(**IDS, content_id="voice", stop_reason="INTERRUPTED"),
        ]
    )
    assert ended.interrupted
