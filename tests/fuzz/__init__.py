"""Fuzzing: atheris harnesses, their runner, seed corpora and the botocore differential."""
