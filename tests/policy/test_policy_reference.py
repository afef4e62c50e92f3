"""docs/policy-reference.md is generated from the policy models and cannot drift from them."""

from __future__ import annotations

import pathlib

from callup.policy.reference import COMPUTED, description, models, policy_reference

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "policy-reference.md"


def test_the_committed_reference_equals_the_generated_one():
    assert DOC.read_text(encoding="utf-8") == policy_reference(), (
        "docs/policy-reference.md is out of date: run `callup policy reference --out docs/policy-reference.md`")


def test_every_key_of_every_table_is_described_and_listed():
    text = policy_reference()
    for model in models():
        for name in model.model_fields:
            if (model.__name__, name) in COMPUTED:
                continue
            assert description(model, name), f"{model.__name__}.{name} has no description (model field or DESCRIPTIONS)"
            assert f"| `{name}` |" in text


def test_the_command_prints_the_reference(tmp_path, capsys):
    from callup.policy.commands import reference

    reference(out=None)
    assert capsys.readouterr().out == policy_reference()
    reference(out=tmp_path / "ref.md")
    assert (tmp_path / "ref.md").read_text(encoding="utf-8") == policy_reference()
