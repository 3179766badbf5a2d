"""The generated declarations are what tests/service_codegen.py writes from the installed
botocore's models: a model change (a botocore upgrade) shows here, and ``python -m
tests.service_codegen`` brings them up to date."""

from __future__ import annotations

import pytest

from .service_codegen import ROOT, SERVICES, Service, formatted, generate, snake


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_the_generated_modules_are_current(service: Service) -> None:
    path = ROOT / service.module
    assert path.read_text() == formatted(generate(service), path), (
        f"{service.module} is not what the {service.name} model gives: "
        "run python -m tests.service_codegen"
    )


def test_member_names_become_snake_case_fields() -> None:
    assert snake("contentBlockIndex") == "content_block_index"
    assert snake("ErrorCode") == "error_code"
    assert snake("knowledgeBaseARN") == "knowledge_base_arn"
    assert snake("s3Location") == "s3_location"
    assert snake("from") == "from_"
